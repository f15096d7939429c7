import BatonHTTP
import BatonJSON
import Synchronization

/// A loopback server playing a model API in its real streaming wire format, for the real agent
/// CLIs: OpenAI's Responses API (`POST …/responses`, Server-Sent Events `response.*`), which codex
/// speaks, or Anthropic's Messages API (`POST /v1/messages`, `message_start` … `message_stop`),
/// which Claude Code speaks. Each request is recorded and answered by the test's script, which
/// sees the request and decides what the model does: answer, call a shell tool, fail.
public final class FakeModelAPI: HTTPResponder, Sendable {
    public enum Wire: Sendable { case openAIResponses, anthropicMessages }

    /// What the model does in answer to one request.
    public enum Reply: Sendable {
        /// A final message.
        case text(String)
        /// A shell command through the agent's shell tool (`exec_command` for codex, `Bash` for
        /// Claude Code), with an optional justification that asks codex for escalation.
        case shell(String, escalate: Bool = false)
        /// Claude Code's Write tool.
        case write(path: String, content: String)
        /// Any function tool the CLI advertised, by name, with JSON arguments (Responses API).
        case call(name: String, arguments: JSONValue)
        /// An HTTP error in the provider's error format.
        case error(status: Int, type: String, message: String, retryAfter: Int? = nil)
    }

    /// One request as the CLI sent it.
    public struct Request: Sendable {
        public var number: Int
        public var path: String
        public var headers: HTTPHeaders
        public var body: JSONValue

        /// True when the last input is the output of a tool call (the model's previous step).
        public var continuesToolCall: Bool {
            if let input = body["input"]?.arrayValue, let last = input.last {
                let type = last["type"]?.stringValue ?? ""
                return type.hasSuffix("_call_output")
            }
            if let last = body["messages"]?.arrayValue?.last(where: { $0["role"]?.stringValue == "user" }),
                let blocks = last["content"]?.arrayValue
            {
                return blocks.contains { $0["type"]?.stringValue == "tool_result" }
            }
            return false
        }

        /// The text of every user message, in order (both wire formats).
        public var userTexts: [String] {
            var out: [String] = []
            for item in body["input"]?.arrayValue ?? body["messages"]?.arrayValue ?? [] {
                guard item["role"]?.stringValue == "user" else { continue }
                if let text = item["content"]?.stringValue { out.append(text) }
                for block in item["content"]?.arrayValue ?? [] {
                    if let text = block["text"]?.stringValue { out.append(text) }
                }
            }
            return out
        }

        /// The names of the tools the CLI offered the model.
        public var toolNames: [String] {
            (body["tools"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }

        /// The output the CLI sent back for the model's last tool call.
        public var toolOutput: String? {
            if let last = body["input"]?.arrayValue?.last, let output = last["output"] {
                return output.stringValue ?? output.text
            }
            if let blocks = body["messages"]?.arrayValue?.last?["content"]?.arrayValue,
                let result = blocks.first(where: { $0["type"]?.stringValue == "tool_result" })
            {
                return result["content"]?.stringValue ?? result["content"]?.text
            }
            return nil
        }
    }

    public let wire: Wire
    public let model: String
    public let usage: (input: Int64, cached: Int64, output: Int64, reasoning: Int64)
    private let script: @Sendable (Request) async -> Reply
    private let seen = Mutex<[Request]>([])
    private let loopback = LoopbackServer()

    public init(
        _ wire: Wire, model: String = "fake-model",
        usage: (input: Int64, cached: Int64, output: Int64, reasoning: Int64) = (100, 40, 20, 5),
        script: @escaping @Sendable (Request) async -> Reply
    ) {
        self.wire = wire
        self.model = model
        self.usage = usage
        self.script = script
    }

    public var requests: [Request] { seen.withLock { $0 } }

    /// Starts on a free loopback port and returns `http://127.0.0.1:PORT`.
    public func start() throws -> String { try loopback.start(self) }

    public func stop() async { await loopback.stop() }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let body = (try? JSONParser.parse(request.body)) ?? .null
        let recorded = seen.withLock { all -> Request in
            let r = Request(number: all.count + 1, path: request.path, headers: request.headers, body: body)
            all.append(r)
            return r
        }
        let expected = wire == .openAIResponses ? "/responses" : "/v1/messages"
        guard request.method == .post, request.path.hasSuffix(expected) else {
            return .json(HTTPStatus(code: 404), #"{"error":{"message":"the fake serves POST \#(expected) only"}}"#)
        }
        let reply = await script(recorded)
        switch wire {
        case .openAIResponses: return responses(reply, number: recorded.number, model: model)
        case .anthropicMessages:
            // The CLI records the model it asked for; the answer echoes it, as the API does.
            return messages(reply, number: recorded.number, model: body["model"]?.stringValue ?? model)
        }
    }

    private static func events(_ events: [(String, JSONValue)]) -> HTTPResponse {
        var text = ""
        for (name, data) in events { text += "event: \(name)\ndata: \(data.text)\n\n" }
        return HTTPResponse(
            status: .ok, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"],
            bytes: Array(text.utf8))
    }

    private func errorResponse(status: Int, body: JSONValue, retryAfter: Int?) -> HTTPResponse {
        var headers: HTTPHeaders = [:]
        if let retryAfter { headers.add("Retry-After", String(retryAfter)) }
        return .json(HTTPStatus(code: status), body.text, headers: headers)
    }

    // MARK: OpenAI Responses

    private func responses(_ reply: Reply, number: Int, model: String) -> HTTPResponse {
        let id = "resp_\(number)"
        var response: [String: JSONValue] = [
            "id": .string(id), "object": "response", "created_at": 1_790_000_000, "status": "in_progress",
            "model": .string(model), "output": [],
        ]
        var out: [(String, JSONValue)] = [
            ("response.created", ["type": "response.created", "sequence_number": 0, "response": .object(response)])
        ]
        let item: JSONValue
        switch reply {
        case .error(let status, let type, let message, let retryAfter):
            return errorResponse(
                status: status,
                body: [
                    "error": [
                        "message": .string(message), "type": .string(type), "param": .null, "code": .string(type),
                    ]
                ],
                retryAfter: retryAfter)
        case .text(let text):
            item = [
                "id": .string("msg_\(number)"), "type": "message", "status": "completed", "role": "assistant",
                "content": [["type": "output_text", "text": .string(text), "annotations": []]],
            ]
            out.append(
                (
                    "response.output_text.delta",
                    [
                        "type": "response.output_text.delta", "item_id": .string("msg_\(number)"), "output_index": 0,
                        "content_index": 0, "delta": .string(text),
                    ]
                ))
        case .shell(let command, let escalate):
            var arguments: [String: JSONValue] = ["cmd": .string(command)]
            if escalate {
                arguments["sandbox_permissions"] = "require_escalated"
                arguments["justification"] = "the task needs it"
            }
            item = [
                "id": .string("fc_\(number)"), "type": "function_call", "status": "completed",
                "call_id": .string("call_\(number)"), "name": "exec_command",
                "arguments": .string(JSONValue.object(arguments).text),
            ]
        case .call(let name, let arguments):
            item = [
                "id": .string("fc_\(number)"), "type": "function_call", "status": "completed",
                "call_id": .string("call_\(number)"), "name": .string(name), "arguments": .string(arguments.text),
            ]
        case .write(let path, let content):
            item = [
                "id": .string("fc_\(number)"), "type": "function_call", "status": "completed",
                "call_id": .string("call_\(number)"), "name": "exec_command",
                "arguments": .string(JSONValue.object(["cmd": .string("printf %s '\(content)' > \(path)")]).text),
            ]
        }
        out.append(
            ("response.output_item.done", ["type": "response.output_item.done", "output_index": 0, "item": item]))
        response["status"] = "completed"
        response["output"] = [item]
        response["usage"] = [
            "input_tokens": .int(usage.input), "input_tokens_details": ["cached_tokens": .int(usage.cached)],
            "output_tokens": .int(usage.output), "output_tokens_details": ["reasoning_tokens": .int(usage.reasoning)],
            "total_tokens": .int(usage.input + usage.output),
        ]
        out.append(
            ("response.completed", ["type": "response.completed", "sequence_number": 9, "response": .object(response)]))
        return Self.events(out)
    }

    // MARK: Anthropic Messages

    private func messages(_ reply: Reply, number: Int, model: String) -> HTTPResponse {
        var out: [(String, JSONValue)] = [
            (
                "message_start",
                [
                    "type": "message_start",
                    "message": [
                        "id": .string("msg_fake_\(number)"), "type": "message", "role": "assistant",
                        "model": .string(model), "content": [], "stop_reason": .null, "stop_sequence": .null,
                        "usage": [
                            "input_tokens": .int(usage.input - usage.cached), "cache_creation_input_tokens": 0,
                            "cache_read_input_tokens": .int(usage.cached), "output_tokens": 1,
                        ],
                    ],
                ]
            )
        ]
        let stop: String
        func tool(_ name: String, _ input: JSONValue) {
            out.append(
                (
                    "content_block_start",
                    [
                        "type": "content_block_start", "index": 0,
                        "content_block": [
                            "type": "tool_use", "id": .string("toolu_fake_\(number)"), "name": .string(name),
                            "input": [:],
                        ],
                    ]
                ))
            out.append(
                (
                    "content_block_delta",
                    [
                        "type": "content_block_delta", "index": 0,
                        "delta": ["type": "input_json_delta", "partial_json": .string(input.text)],
                    ]
                ))
            out.append(("content_block_stop", ["type": "content_block_stop", "index": 0]))
        }
        switch reply {
        case .error(let status, let type, let message, let retryAfter):
            return errorResponse(
                status: status,
                body: ["type": "error", "error": ["type": .string(type), "message": .string(message)]],
                retryAfter: retryAfter)
        case .text(let text):
            out.append(
                (
                    "content_block_start",
                    ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]
                ))
            out.append(
                (
                    "content_block_delta",
                    [
                        "type": "content_block_delta", "index": 0,
                        "delta": ["type": "text_delta", "text": .string(text)],
                    ]
                ))
            out.append(("content_block_stop", ["type": "content_block_stop", "index": 0]))
            stop = "end_turn"
        case .shell(let command, _):
            tool("Bash", ["command": .string(command), "description": "run it"])
            stop = "tool_use"
        case .write(let path, let content):
            tool("Write", ["file_path": .string(path), "content": .string(content)])
            stop = "tool_use"
        case .call(let name, let arguments):
            tool(name, arguments)
            stop = "tool_use"
        }
        out.append(
            (
                "message_delta",
                [
                    "type": "message_delta", "delta": ["stop_reason": .string(stop), "stop_sequence": .null],
                    "usage": ["output_tokens": .int(usage.output)],
                ]
            ))
        out.append(("message_stop", ["type": "message_stop"]))
        return Self.events(out)
    }
}

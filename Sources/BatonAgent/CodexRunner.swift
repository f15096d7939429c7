import BatonJSON
import BatonPlatform
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Codex through its app-server: JSON-RPC 2.0 over stdio, one JSON object per line without the
/// `"jsonrpc"` member. `initialize`, the `initialized` notification, `thread/start` in the
/// workspace, then one `turn/start` per turn until `turn/completed` (`completed`, `failed` or
/// `interrupted`). Approval requests are answered by the configured policy; a request for user
/// input ends the attempt as needing input; token totals come from `thread/tokenUsage/updated`.
/// Steering messages become the next turn of the same thread.
public struct CodexRunner: AgentRunner {
    public enum Approvals: String, Sendable {
        case accept, decline
    }

    public let kind = "codex"
    public let command: String
    public let approvals: Approvals

    public init(command: String = "codex app-server", approvals: Approvals = .decline) {
        self.command = command
        self.approvals = approvals
    }

    struct ProtocolError: Error, CustomStringConvertible {
        let description: String
    }

    public func run(_ task: AgentTask, steer: AsyncStream<String>, events: @escaping @Sendable (AgentEvent) -> Void)
        async -> AgentOutcome
    {
        let (lines, linesInput) = AsyncStream<String>.makeStream()
        let child: Subprocess
        do {
            child = try Subprocess(
                Subprocess.Options(
                    "/bin/sh", ["-c", "exec \(command)"],
                    environment: ["BATON_JOB_ID": String(task.jobID), "BATON_WORKSPACE": task.workspace],
                    directory: task.workspace, captureLimit: 256 * 1024, onStdoutLine: { linesInput.yield($0) }))
        } catch {
            return .failed("codex: cannot start \(command): \(error)")
        }
        let ended = Task {
            _ = await child.exitCode()
            linesInput.finish()
        }
        defer {
            ended.cancel()
            child.closeInput()
            // Not `terminate`: it waits, and this runs on the cooperative pool.
            child.endGroup(grace: 1)
        }
        var session = Session(child: child, lines: lines.makeAsyncIterator(), approvals: approvals, events: events)
        return await withTaskCancellationHandler {
            do {
                return try await session.drive(task, steer: steer)
            } catch {
                if Task.isCancelled { return .failed("cancelled") }
                let detail = child.errors.split(separator: "\n").suffix(3).joined(separator: " | ")
                return .failed("codex: \(error)" + (detail.isEmpty ? "" : " (stderr: \(detail))"))
            }
        } onCancel: {
            child.endGroup(grace: 2)
        }
    }

    /// One app-server conversation: requests out, responses, notifications and server requests in.
    struct Session {
        let child: Subprocess
        var lines: AsyncStream<String>.Iterator
        let approvals: Approvals
        let events: @Sendable (AgentEvent) -> Void
        var nextID: Int64 = 1
        var tokens: (input: Int64, output: Int64) = (0, 0)
        var lastMessage: String?
        var question: String?

        mutating func drive(_ task: AgentTask, steer: AsyncStream<String>) async throws -> AgentOutcome {
            let pending = PendingSteer()
            let listener = Task {
                for await message in steer { pending.add(message) }
            }
            defer { listener.cancel() }
            _ = try await request(
                "initialize", ["clientInfo": ["name": "baton", "title": "Baton", "version": "1"]])
            send(["method": "initialized"])
            var threadParams: [String: JSONValue] = [
                "cwd": .string(task.workspace), "approvalPolicy": "never", "sandbox": "workspaceWrite",
            ]
            if let model = task.model { threadParams["model"] = .string(model) }
            let started = try await request("thread/start", .object(threadParams))
            guard let thread = started["thread"]?["id"]?.stringValue else {
                throw ProtocolError(description: "thread/start answered without a thread id")
            }
            var prompt = task.prompt
            if let input = task.input, !input.isEmpty { prompt += "\n\n" + input }
            var turn = 0
            while true {
                turn += 1
                events(.turnStarted(turn))
                let (status, error) = try await runTurn(thread: thread, text: prompt, cwd: task.workspace)
                events(.turnEnded(turn))
                if let question {
                    return AgentOutcome(
                        status: .needsInput, result: lastMessage, error: question, tokensInput: tokens.input,
                        tokensOutput: tokens.output)
                }
                switch status {
                case "completed":
                    let next = pending.take()
                    if !next.isEmpty && turn < task.maxTurns {
                        prompt = next.joined(separator: "\n\n")
                        continue
                    }
                    return AgentOutcome(
                        status: .succeeded, result: lastMessage, tokensInput: tokens.input, tokensOutput: tokens.output)
                case "interrupted":
                    return AgentOutcome(
                        status: .failed, result: lastMessage, error: "codex: the turn was interrupted",
                        tokensInput: tokens.input, tokensOutput: tokens.output)
                default:
                    return AgentOutcome(
                        status: .failed, result: lastMessage, error: "codex: the turn failed: \(error ?? status)",
                        tokensInput: tokens.input, tokensOutput: tokens.output)
                }
            }
        }

        /// Starts a turn and reads until `turn/completed`; returns its status and error message.
        mutating func runTurn(thread: String, text: String, cwd: String) async throws -> (String, String?) {
            let answer = try await request(
                "turn/start",
                ["threadId": .string(thread), "input": [["type": "text", "text": .string(text)]], "cwd": .string(cwd)])
            let turnID = answer["turn"]?["id"]?.stringValue
            while let message = try await nextMessage() {
                if try handleServerRequest(message, thread: thread, turn: turnID) { continue }
                guard let method = message["method"]?.stringValue else { continue }
                let params = message["params"] ?? .null
                switch method {
                case "item/completed":
                    let item = params["item"] ?? .null
                    switch item["type"]?.stringValue {
                    case "agentMessage":
                        if let text = item["text"]?.stringValue {
                            lastMessage = text
                            events(.message(text))
                        }
                    case "commandExecution":
                        events(.toolCall(item["command"]?.stringValue ?? "command"))
                    case "fileChange", "mcpToolCall":
                        events(.toolCall(item["type"]?.stringValue ?? "tool"))
                    default: break
                    }
                case "thread/tokenUsage/updated":
                    // Absolute totals for the thread, not increments.
                    if let total = params["tokenUsage"]?["total"] {
                        tokens = (
                            total["inputTokens"]?.intValue ?? tokens.input,
                            total["outputTokens"]?.intValue ?? tokens.output
                        )
                        events(.tokens(input: tokens.input, output: tokens.output))
                    }
                case "turn/completed":
                    let turn = params["turn"] ?? .null
                    return (turn["status"]?.stringValue ?? "failed", turn["error"]?["message"]?.stringValue)
                // Separate terminal notifications, as some app-server versions send them.
                case "turn/failed":
                    return (
                        "failed",
                        params["error"]?["message"]?.stringValue ?? params["turn"]?["error"]?["message"]?.stringValue
                    )
                case "turn/cancelled", "turn/interrupted":
                    return ("interrupted", nil)
                case "error":
                    if let text = params["error"]?["message"]?.stringValue { events(.message("codex error: \(text)")) }
                default: break
                }
            }
            throw ProtocolError(description: "the app-server exited before the turn completed")
        }

        /// Answers approval and user-input requests from the server; true when `message` was one.
        mutating func handleServerRequest(_ message: JSONValue, thread: String, turn: String?) throws -> Bool {
            guard let id = message["id"], let method = message["method"]?.stringValue else { return false }
            // `item/commandExecution/requestApproval`, `item/fileChange/requestApproval`, and the
            // older `execCommandApproval` / `applyPatchApproval`.
            if method.hasSuffix("requestApproval") || method.hasSuffix("Approval") {
                events(.message("codex asked to approve \(method); answered \(approvals.rawValue)"))
                send(["id": id, "result": ["decision": .string(approvals.rawValue)]])
            } else if method.contains("requestUserInput") {
                // Nobody is there to answer: the issue needs a person. Stop the turn.
                question = "codex asked for input: " + (message["params"]?.text ?? "")
                send(["id": id, "error": ["code": -32000, "message": "no user is available to answer"]])
                if let turn {
                    send([
                        "id": .int(allocateID()), "method": "turn/interrupt",
                        "params": ["threadId": .string(thread), "turnId": .string(turn)],
                    ])
                }
            } else {
                send(["id": id, "error": ["code": -32601, "message": .string("baton does not handle \(method)")]])
            }
            return true
        }

        /// Sends a request and reads until its response, handling what arrives in between.
        mutating func request(_ method: String, _ params: JSONValue) async throws -> JSONValue {
            let id = allocateID()
            send(["id": .int(id), "method": .string(method), "params": params])
            while let message = try await nextMessage() {
                if message["method"] == nil, message["id"]?.intValue == id {
                    if let error = message["error"] {
                        throw ProtocolError(
                            description: "\(method) failed: \(error["message"]?.stringValue ?? error.text)")
                    }
                    return message["result"] ?? .null
                }
                _ = try handleServerRequest(message, thread: "", turn: nil)
            }
            throw ProtocolError(description: "the app-server exited before answering \(method)")
        }

        mutating func nextMessage() async throws -> JSONValue? {
            while let line = await lines.next() {
                if let json = try? JSONParser.parse(line), json.objectValue != nil { return json }
            }
            return nil
        }

        mutating func allocateID() -> Int64 {
            defer { nextID += 1 }
            return nextID
        }

        func send(_ message: JSONValue) { child.write(message.text + "\n") }
    }
}

/// Steering messages that arrived during a turn, for the next one.
final class PendingSteer: Sendable {
    private let messages = Mutex<[String]>([])
    func add(_ message: String) { messages.withLock { $0.append(message) } }
    func take() -> [String] {
        messages.withLock { messages in
            defer { messages = [] }
            return messages
        }
    }
}

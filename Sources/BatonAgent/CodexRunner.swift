import BatonJSON
import BatonPlatform
import BatonWorkerProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Codex through its app-server (codex-cli, see `supported`; SPEC §8.5): JSON-RPC 2.0 over stdio, one JSON
/// object per line without the `"jsonrpc"` member. `initialize`, the `initialized` notification,
/// `thread/start` in the workspace with the provider's sandbox and approval policy, then one
/// `turn/start` per turn until `turn/completed` (`completed`, `failed` or `interrupted`). Every
/// request the server may send is answered in its own typed shape; a request for user input ends
/// the attempt as needing input; token totals come from `thread/tokenUsage/updated` (absolute for
/// the thread). Steering messages become the next turn of the same thread.
public struct CodexRunner: AgentRunner {
    /// How Baton answers the approval requests codex sends (it sends them only when the approval
    /// policy is not `never`).
    public enum Approvals: String, Sendable {
        case accept, decline
    }

    public struct Settings: Sendable {
        /// thread/start's `sandbox`: read-only, workspace-write or danger-full-access; nil:
        /// workspace-write, or danger-full-access inside Baton's own sandbox (`sandbox(for:)`).
        public var sandbox: String?
        /// thread/start's `approvalPolicy`: never (commands that need more than the sandbox
        /// fail inside codex), on-request or untrusted (codex asks, Baton answers `approvals`).
        public var approvalPolicy = "never"
        public var approvals = Approvals.decline
        /// `error` notifications with `willRetry` tolerated in one turn before Baton interrupts it.
        public var maxAPIRetries = 10

        /// Codex's own sandbox (bubblewrap) needs namespaces and mounts, which a Landlock
        /// sandbox forbids; inside Baton's sandbox, which confines codex to the same workspace,
        /// codex runs without its own unless the provider names one.
        func sandbox(for task: AgentTask) -> String {
            sandbox ?? (task.confinement?.sandbox != nil ? "danger-full-access" : "workspace-write")
        }

        public init(
            sandbox: String? = nil, approvalPolicy: String = "never", approvals: Approvals = .decline,
            maxAPIRetries: Int = 10
        ) {
            self.sandbox = sandbox
            self.approvalPolicy = approvalPolicy
            self.approvals = approvals
            self.maxAPIRetries = maxAPIRetries
        }
    }

    /// Versions whose app-server protocol this runner speaks (README "Running real agents").
    public static let supported = VersionRange(minimum: [0, 163, 0], below: [0, 200, 0], tested: "codex-cli 0.163.0")

    public let kind = ProviderKind.codex.rawValue
    public let launch: AgentLaunch
    public let settings: Settings
    private let version: VersionProbe

    public init(launch: AgentLaunch, settings: Settings = Settings()) {
        self.launch = launch
        self.settings = settings
        version = VersionProbe(agent: "codex", pattern: { Self.parseVersion($0) }, range: Self.supported)
    }

    public init(command: String = "codex app-server", settings: Settings = Settings()) {
        self.init(launch: AgentLaunch(command: command), settings: settings)
    }

    /// `codex-cli 0.163.0`.
    static func parseVersion(_ text: String) -> [Int]? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard words.count >= 2, words[0] == "codex-cli" || words[0] == "codex" else { return nil }
        return VersionRange.parse(String(words[1]))
    }

    /// The one dynamic tool Baton gives codex: a question for a person ends the attempt as
    /// needing input, so the issue is blocked with the question instead of guessed at.
    static let askPersonName = "baton_ask_person"
    static let askPersonTool: JSONValue = [
        "type": "function", "name": .string(askPersonName),
        "description":
            "Ask the people on this issue a question only they can answer (a decision, missing information, access). The attempt stops and the issue waits for their answer: use it only when you cannot go on without one.",
        "inputSchema": [
            "type": "object", "properties": ["question": ["type": "string", "description": "The question, in full."]],
            "required": ["question"],
        ],
    ]

    struct ProtocolError: Error, CustomStringConvertible {
        let description: String
    }

    public func run(_ task: AgentTask, steer: AsyncStream<String>, events: @escaping @Sendable (AgentEvent) -> Void)
        async -> AgentOutcome
    {
        let resolved: AgentLaunch.Resolved
        let report: AgentReport
        switch await launch.prepare(kind, version: version) {
        case .success(let ready): (resolved, report) = ready
        case .failure(let failed): return failed.outcome
        }
        let events = resolved.redacting(events)
        return await runSession(task, resolved, report: report, steer: steer, events: events).redacting(
            resolved.secrets)
    }

    private func runSession(
        _ task: AgentTask, _ resolved: AgentLaunch.Resolved, report: AgentReport, steer: AsyncStream<String>,
        events: @escaping @Sendable (AgentEvent) -> Void
    ) async -> AgentOutcome {
        let (lines, linesInput) = AsyncStream<String>.makeStream()
        let environment = ["BATON_JOB_ID": String(task.jobID), "BATON_WORKSPACE": task.workspace]
        let child: Subprocess
        do {
            child = try Subprocess(
                Subprocess.Options(
                    resolved.executable, resolved.arguments([]), environment: environment, directory: task.workspace,
                    captureLimit: 256 * 1024, onStdoutLine: { linesInput.yield($0) }
                ).confined(task.confinement, extra: resolved.environment).withLineLimit(AgentLaunch.maxMessageBytes))
        } catch {
            return .failed("codex: cannot start \(resolved.executable): \(error)")
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
        var session = Session(
            child: child, lines: lines.makeAsyncIterator(), settings: settings, events: events, report: report)
        return await withTaskCancellationHandler {
            do {
                return try await session.drive(task, steer: steer)
            } catch {
                if Task.isCancelled { return session.outcome(.failed, error: "cancelled") }
                let detail = child.errors.split(separator: "\n").filter { !$0.contains("WARNING: proceeding") }
                    .suffix(3).joined(separator: " | ")
                return session.outcome(
                    .failed, error: "codex: \(error)" + (detail.isEmpty ? "" : " (stderr: \(detail))"))
            }
        } onCancel: {
            child.endGroup(grace: 2)
        }
    }

    /// One app-server conversation: requests out, responses, notifications and server requests in.
    struct Session {
        let child: Subprocess
        var lines: AsyncStream<String>.Iterator
        let settings: Settings
        let events: @Sendable (AgentEvent) -> Void
        var report: AgentReport
        var nextID: Int64 = 1
        var question: String?
        /// Retries announced in the current turn (`error` with `willRetry`).
        var retries = 0
        var lastError: String?

        init(
            child: Subprocess, lines: AsyncStream<String>.Iterator, settings: Settings,
            events: @escaping @Sendable (AgentEvent) -> Void, report: AgentReport
        ) {
            self.child = child
            self.lines = lines
            self.settings = settings
            self.events = events
            self.report = report
        }

        func outcome(_ status: AgentOutcome.Status, error: String? = nil) -> AgentOutcome {
            var outcome = AgentOutcome(
                status: status, result: report.finalMessage, error: error, tokensInput: report.usage.input,
                tokensOutput: report.usage.output)
            outcome.model = report.model
            outcome.report = report
            return outcome
        }

        mutating func drive(_ task: AgentTask, steer: AsyncStream<String>) async throws -> AgentOutcome {
            let pending = PendingSteer()
            let listener = Task {
                for await message in steer { pending.add(message) }
            }
            defer { listener.cancel() }
            // The experimental API is what lets Baton offer the ask-a-person tool (dynamicTools):
            // codex's own request_user_input works only in plan mode.
            _ = try await request(
                "initialize",
                [
                    "clientInfo": ["name": "baton", "title": "Baton", "version": "1"],
                    "capabilities": ["experimentalApi": true],
                ])
            send(["method": "initialized"])
            var threadParams: [String: JSONValue] = [
                "cwd": .string(task.workspace), "approvalPolicy": .string(settings.approvalPolicy),
                "sandbox": .string(settings.sandbox(for: task)), "dynamicTools": [CodexRunner.askPersonTool],
            ]
            if let model = task.model { threadParams["model"] = .string(model) }
            let started = try await request("thread/start", .object(threadParams))
            guard let thread = started["thread"]?["id"]?.stringValue else {
                throw ProtocolError(description: "thread/start answered without a thread id")
            }
            if let model = started["model"]?.stringValue, !model.isEmpty { report.model = model }
            var prompt = task.prompt
            if let input = task.input, !input.isEmpty { prompt += "\n\n" + input }
            var turn = 0
            while true {
                turn += 1
                events(.turnStarted(turn))
                let (status, error) = try await runTurn(thread: thread, text: prompt, cwd: task.workspace)
                events(.turnEnded(turn))
                if let question { return outcome(.needsInput, error: question) }
                switch status {
                case "completed":
                    let next = pending.take()
                    if !next.isEmpty && turn < task.maxTurns {
                        prompt = next.joined(separator: "\n\n")
                        continue
                    }
                    return outcome(.succeeded)
                case "interrupted":
                    return outcome(.failed, error: "codex: the turn was interrupted" + (error.map { ": \($0)" } ?? ""))
                default:
                    return outcome(.failed, error: "codex: " + (error ?? "the turn ended \(status)"))
                }
            }
        }

        /// Starts a turn and reads until `turn/completed`; returns its status and, when it did
        /// not complete, why in words.
        mutating func runTurn(thread: String, text: String, cwd: String) async throws -> (String, String?) {
            retries = 0
            lastError = nil
            let answer = try await request(
                "turn/start",
                ["threadId": .string(thread), "input": [["type": "text", "text": .string(text)]], "cwd": .string(cwd)])
            let turnID = answer["turn"]?["id"]?.stringValue
            var gaveUp: String?
            while let message = try await nextMessage() {
                if handleServerRequest(message, thread: thread, turn: turnID) { continue }
                guard let method = message["method"]?.stringValue else { continue }
                let params = message["params"] ?? .null
                switch method {
                case "item/completed":
                    record(params["item"] ?? .null)
                case "item/started", "item/agentMessage/delta", "item/commandExecution/outputDelta",
                    "item/reasoning/summaryTextDelta", "item/fileChange/outputDelta", "item/mcpToolCall/progress":
                    // Work in progress: activity, so a long command is not taken for a stall.
                    events(.activity)
                case "model/rerouted":
                    // Codex moved the thread to another model: that is the one used (and priced).
                    if let model = params["toModel"]?.stringValue, !model.isEmpty { report.model = model }
                case "thread/tokenUsage/updated":
                    // Absolute totals for the thread, not increments.
                    if let total = params["tokenUsage"]?["total"] {
                        // Counts checked and clamped (TokenUsage.count), as every agent figure is.
                        report.usage = TokenUsage(
                            input: TokenUsage.count(total["inputTokens"]) ?? report.usage.input,
                            cachedInput: TokenUsage.count(total["cachedInputTokens"]) ?? 0,
                            cacheCreationInput: TokenUsage.count(total["cacheWriteInputTokens"]) ?? 0,
                            output: TokenUsage.count(total["outputTokens"]) ?? report.usage.output,
                            reasoningOutput: TokenUsage.count(total["reasoningOutputTokens"]) ?? 0)
                        events(.tokens(input: report.usage.input, output: report.usage.output))
                    }
                case "error":
                    let error = params["error"] ?? .null
                    let words = Self.describe(error)
                    if params["willRetry"]?.boolValue == true {
                        retries += 1
                        report.apiRetries += 1
                        events(.apiRetry(words))
                        if retries > settings.maxAPIRetries, gaveUp == nil, let turnID {
                            gaveUp =
                                "the model API kept failing: \(retries) retries in one turn (last: \(words)); "
                                + "providers.<name>.max_api_retries is \(settings.maxAPIRetries)"
                            interrupt(thread: thread, turn: turnID)
                        }
                    } else {
                        lastError = words
                    }
                case "turn/completed":
                    let turn = params["turn"] ?? .null
                    let status = turn["status"]?.stringValue ?? "failed"
                    if let gaveUp { return ("failed", gaveUp) }
                    if status == "completed" { return (status, nil) }
                    let error = turn["error"].flatMap { $0 == .null ? nil : Self.describe($0) } ?? lastError
                    return (status, error)
                default: break
                }
            }
            throw ProtocolError(description: "the app-server exited before the turn completed")
        }

        /// A finished item: the agent's messages, commands, file changes and tool calls.
        mutating func record(_ item: JSONValue) {
            let type = item["type"]?.stringValue ?? "item"
            switch type {
            case "agentMessage":
                if let text = item["text"]?.stringValue {
                    report.finalMessage = text
                    events(.message(text))
                }
            case "commandExecution":
                // `command` is the display form (`/bin/bash -lc '…'`); the parsed actions hold
                // what the model asked for.
                let actions = (item["commandActions"]?.arrayValue ?? []).compactMap { $0["command"]?.stringValue }
                let command =
                    actions.isEmpty ? (item["command"]?.stringValue ?? "command") : actions.joined(separator: " && ")
                let status = item["status"]?.stringValue ?? ""
                report.ranCommand(status == "declined" ? "(declined) " + command : command)
                events(.command(command))
                // A finished command carries its exit code and output (codex's `exitCode`,
                // `aggregatedOutput`); a declined one has neither.
                let code = item["exitCode"]?.intValue.flatMap { Int(exactly: $0) }
                let output = item["aggregatedOutput"]?.stringValue
                if code != nil || output != nil { events(.commandResult(exitCode: code, output: output ?? "")) }
            case "fileChange":
                report.usedTool("fileChange")
                for change in item["changes"]?.arrayValue ?? [] {
                    if let path = change["path"]?.stringValue { events(.toolCall("edit \(path)")) }
                }
            case "mcpToolCall":
                let name = [item["server"]?.stringValue, item["tool"]?.stringValue].compactMap { $0 }
                    .joined(separator: ".")
                report.usedTool(name.isEmpty ? "mcpToolCall" : "mcp:" + name)
                events(.toolCall(name.isEmpty ? type : name))
            case "dynamicToolCall":
                let name = item["tool"]?.stringValue ?? type
                report.usedTool("dynamic:" + name)
                events(.toolCall(name))
            case "webSearch", "collabAgentToolCall", "imageView", "imageGeneration", "subAgentActivity", "plan",
                "contextCompaction", "sleep":
                report.usedTool(type)
                events(.toolCall(type))
            default:
                break
            }
        }

        /// A TurnError (`{message, codexErrorInfo, additionalDetails}`) in words, with the HTTP
        /// status where codex gives one.
        static func describe(_ error: JSONValue) -> String {
            var message = error["message"]?.stringValue ?? error.text
            // A 400 carries the provider's whole JSON body as its message: keep its own message.
            if message.hasPrefix("{"), let body = try? JSONParser.parse(message),
                let inner = body["error"]?["message"]?.stringValue
            {
                message = inner
            }
            let info = error["codexErrorInfo"] ?? .null
            var status: Int64?
            var kind = info.stringValue
            if let fields = info.objectValue, let (name, detail) = fields.first {
                kind = name
                status = detail["httpStatusCode"]?.intValue
            }
            let what: String? =
                switch (kind, status) {
                case (_, 401?), ("unauthorized", _): "the model API refused the key (HTTP 401)"
                case (_, 403?): "the model API refused access (HTTP 403)"
                case (_, 429?), ("rateLimitExceeded", _): "the model API rate-limited the request (HTTP 429)"
                case ("usageLimitExceeded", _): "the model API account is over its usage limit"
                case ("badRequest", _): "the model API rejected the request (HTTP 400)"
                case ("contextWindowExceeded", _): "the conversation exceeded the model's context window"
                case ("serverOverloaded", _), ("internalServerError", _):
                    "the model API failed" + (status.map { " (HTTP \($0))" } ?? "")
                case ("sandboxError", _): "codex's sandbox failed"
                case (_, let code?): "the model API answered HTTP \(code)"
                default: nil
                }
            guard let what else { return message }
            return message.isEmpty ? what : "\(what): \(message)"
        }

        /// Answers a request from the server in the shape its method defines; true when `message`
        /// was one.
        mutating func handleServerRequest(_ message: JSONValue, thread: String, turn: String?) -> Bool {
            guard let id = message["id"], let method = message["method"]?.stringValue else { return false }
            let params = message["params"] ?? .null
            let accept = settings.approvals == .accept
            func approval(_ what: String, _ decision: String) {
                report.approvals.append((AgentReport.clip(what), decision))
                events(.message("codex asked to approve \(what); Baton answered \(decision)"))
            }
            switch method {
            case "item/commandExecution/requestApproval":
                let command = params["command"]?.stringValue ?? "a command"
                approval("command: \(command)", accept ? "accept" : "decline")
                reply(id, ["decision": accept ? "accept" : "decline"])
            case "item/fileChange/requestApproval":
                let reason = params["reason"]?.stringValue.map { ": \($0)" } ?? ""
                approval("file change\(reason)", accept ? "accept" : "decline")
                reply(id, ["decision": accept ? "accept" : "decline"])
            case "item/permissions/requestApproval":
                // Granting is returning the requested permissions; an empty object grants none.
                approval("permissions \(params["permissions"]?.text ?? "{}")", accept ? "granted" : "none granted")
                reply(id, ["permissions": accept ? (params["permissions"] ?? [:]) : [:], "scope": "turn"])
            case "execCommandApproval", "applyPatchApproval":
                // The v1 protocol's ReviewDecision: a bare "approved", or {"denied": {rejection}}.
                let what = method == "execCommandApproval" ? "command" : "patch"
                approval(what, accept ? "approved" : "denied")
                reply(
                    id,
                    [
                        "decision": accept
                            ? "approved"
                            : ["denied": ["rejection": "Baton's approval policy for this provider declines"]]
                    ])
            case "mcpServer/elicitation/request":
                // A form or URL only a person can fill in: declined, and said.
                approval("MCP elicitation: \(params["message"]?.stringValue ?? "")", "decline")
                reply(id, ["action": "decline"])
            case "item/tool/requestUserInput":
                let questions = (params["questions"]?.arrayValue ?? []).compactMap { $0["question"]?.stringValue }
                question = "codex asked: " + (questions.isEmpty ? "for input" : questions.joined(separator: " / "))
                // No answers: nobody is there. The turn is interrupted; the issue needs a person.
                reply(id, ["answers": [:]])
                if let turn { interrupt(thread: thread, turn: turn) }
            case "item/tool/call" where params["tool"]?.stringValue == CodexRunner.askPersonName:
                let text = params["arguments"]?["question"]?.stringValue ?? params["arguments"]?.text ?? ""
                question = "codex asked: " + (text.isEmpty ? "for input" : text)
                reply(
                    id,
                    [
                        "success": true,
                        "contentItems": [
                            [
                                "type": "inputText",
                                "text":
                                    "Your question is on the issue. Stop here: the work resumes when a person answers.",
                            ]
                        ],
                    ])
                if let turn { interrupt(thread: thread, turn: turn) }
            case "item/tool/call":
                // No other dynamic tool is registered; a call to one is answered as failed (its
                // item, completed after, is what counts it).
                reply(
                    id,
                    [
                        "success": false,
                        "contentItems": [["type": "inputText", "text": "Baton provides no tool of that name."]],
                    ])
            case "currentTime/read":
                // The experimental API may ask the client for the time: whole Unix seconds.
                reply(id, ["currentTimeAt": .int(Int64(time(nil)))])
            default:
                // ChatGPT token refresh, attestation and anything newer: Baton cannot answer them.
                send([
                    "id": id,
                    "error": ["code": -32601, "message": .string("Baton does not handle \(method)")],
                ])
            }
            return true
        }

        func reply(_ id: JSONValue, _ result: JSONValue) { send(["id": id, "result": result]) }

        /// Asks codex to stop the turn; its `turn/completed` (interrupted) still follows.
        mutating func interrupt(thread: String, turn: String) {
            send([
                "id": .int(allocateID()), "method": "turn/interrupt",
                "params": ["threadId": .string(thread), "turnId": .string(turn)],
            ])
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
                _ = handleServerRequest(message, thread: "", turn: nil)
            }
            throw ProtocolError(description: "the app-server exited before answering \(method)")
        }

        /// The next message; a line that is not a JSON object breaks the protocol (codex logs to
        /// stderr), so it ends the session with what it was rather than being skipped.
        mutating func nextMessage() async throws -> JSONValue? {
            while let line = await lines.next() {
                if line.isEmpty { continue }
                guard let json = try? JSONParser.parse(line), json.objectValue != nil else {
                    throw ProtocolError(
                        description:
                            "the app-server sent a line that is not a JSON-RPC message (\(line.utf8.count) bytes: "
                            + "\(JSONText.quote(String(line.prefix(120))))…)")
                }
                return json
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

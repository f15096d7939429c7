import BatonJSON
import BatonPlatform
import BatonWorkerProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Claude Code headless (SPEC §8.6): `claude -p --output-format stream-json --verbose --permission-mode M`,
/// the prompt on stdin, one JSON object per stdout line (`system` init, `assistant` text and
/// tool_use blocks, `user` tool results, `system` permission_denied and api_retry, and a final
/// `result`). Steering messages that arrive while it runs become the next run, which resumes the
/// session (`--resume <session_id>`), up to Baton's `agent.max_turns` runs; the CLI's own
/// `--max-turns` (its tool steps within one run) is the provider's `max_steps`.
///
/// Without a permission mode the CLI refuses anything that writes and still ends "success": a
/// denial therefore blocks the attempt (a person must allow the tool), never completes it.
public struct ClaudeCodeRunner: AgentRunner {
    public struct Settings: Sendable {
        /// `--permission-mode`: acceptEdits lets the agent edit files and run commands that write
        /// inside its workspace; default asks (and so denies, headless); plan and dontAsk deny.
        public var permissionMode = "acceptEdits"
        /// `--allowedTools`: rules such as `Bash(npm test:*)` allowed without asking.
        public var allowedTools: [String] = []
        /// `--max-turns`: the CLI's tool steps within one run (nil: the CLI's own limit).
        public var maxSteps: Int?
        /// `system/api_retry` lines tolerated in one run before Baton stops the CLI.
        public var maxAPIRetries = 10

        public init(
            permissionMode: String = "acceptEdits", allowedTools: [String] = [], maxSteps: Int? = nil,
            maxAPIRetries: Int = 10
        ) {
            self.permissionMode = permissionMode
            self.allowedTools = allowedTools
            self.maxSteps = maxSteps
            self.maxAPIRetries = maxAPIRetries
        }
    }

    /// Versions whose stream-json this runner was written against (README "Running real agents").
    public static let supported = VersionRange(minimum: [2, 1, 0], below: [3, 0, 0], tested: "2.1.337")

    public let kind = ProviderKind.claudeCode.rawValue
    /// Seconds a CLI may stay after its result line before it is ended.
    static let lingerSeconds = 10.0
    public let launch: AgentLaunch
    public let settings: Settings
    private let version: VersionProbe

    public init(launch: AgentLaunch, settings: Settings = Settings()) {
        self.launch = launch
        self.settings = settings
        version = VersionProbe(agent: "claude-code", pattern: { Self.parseVersion($0) }, range: Self.supported)
    }

    public init(command: String = "claude", settings: Settings = Settings()) {
        self.init(launch: AgentLaunch(command: command), settings: settings)
    }

    /// `2.1.337 (Claude Code)`.
    static func parseVersion(_ text: String) -> [Int]? {
        guard let word = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first else { return nil }
        return VersionRange.parse(String(word))
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
        let pending = PendingSteer()
        let listener = Task {
            for await message in steer { pending.add(message) }
        }
        defer { listener.cancel() }
        var prompt = task.prompt
        if let input = task.input, !input.isEmpty { prompt += "\n\n" + input }
        var stream = ClaudeStream(report: report, maxAPIRetries: settings.maxAPIRetries)
        var turn = 0
        while turn < max(1, task.maxTurns) {
            turn += 1
            events(.turnStarted(turn))
            let ended = await runOnce(task, resolved, prompt: prompt, stream: &stream, events: events)
            events(.turnEnded(turn))
            if Task.isCancelled { return stream.outcome(failure: "cancelled") }
            if let failure = ended { return stream.outcome(failure: failure) }
            events(.tokens(input: stream.report.usage.input, output: stream.report.usage.output))
            guard stream.run.sawResult, !stream.run.isError else { break }
            if !stream.report.permissionDenials.isEmpty { break }
            // Steering that came in during the run is the next run's prompt, in the same session.
            let next = pending.take()
            if next.isEmpty || stream.sessionID == nil { break }
            prompt = next.joined(separator: "\n\n")
        }
        return stream.finalOutcome(settings: settings)
    }

    /// The arguments of one run, after the command's own words and before the provider's `args`.
    func arguments(_ task: AgentTask, resume: String?) -> [String] {
        var arguments = ["-p", "--output-format", "stream-json", "--verbose"]
        // One argument per rule (a rule may hold a comma or a space); a flag follows, which ends the list.
        if !settings.allowedTools.isEmpty { arguments += ["--allowedTools"] + settings.allowedTools }
        arguments += ["--permission-mode", settings.permissionMode]
        if let steps = settings.maxSteps { arguments += ["--max-turns", String(steps)] }
        if let model = task.model { arguments += ["--model", model] }
        if let resume { arguments += ["--resume", resume] }
        return arguments
    }

    /// One `claude -p` process; a sentence when it could not run or was stopped for its retries.
    private func runOnce(
        _ task: AgentTask, _ resolved: AgentLaunch.Resolved,
        prompt: String, stream: inout ClaudeStream, events: @escaping @Sendable (AgentEvent) -> Void
    ) async -> String? {
        stream.run = ClaudeStream.Run()
        let state = Mutex(stream)
        var environment = ["BATON_JOB_ID": String(task.jobID), "BATON_WORKSPACE": task.workspace]
        // A worker's CLI must not replace itself in the middle of an attempt.
        environment["DISABLE_AUTOUPDATER"] = "1"
        // The CLI's own retry budget (10 by default, minutes of backoff) follows the provider's.
        environment["CLAUDE_CODE_MAX_RETRIES"] = String(settings.maxAPIRetries)
        // Its temporary files (and its messaging socket) in the attempt's private directory.
        if let tmp = task.confinement?.environment["TMPDIR"] { environment["TMPDIR"] = tmp }
        let child: Subprocess
        let stopped = Mutex<Subprocess?>(nil)
        do {
            let arguments = resolved.arguments(self.arguments(task, resume: stream.sessionID))
            child = try Subprocess(
                Subprocess.Options(
                    resolved.executable, arguments, environment: environment, directory: task.workspace,
                    captureLimit: 256 * 1024,
                    onStdoutLine: { line in
                        guard let json = try? JSONParser.parse(line), json.objectValue != nil else {
                            if !line.isEmpty { state.withLock { $0.run.unreadable += 1 } }
                            return
                        }
                        let (said, giveUp, ended) = state.withLock { stream in
                            let seen = stream.run.sawResult
                            let (said, giveUp) = stream.absorb(json)
                            return (said, giveUp, !seen && stream.run.sawResult)
                        }
                        for event in said { events(event) }
                        if giveUp { stopped.withLock { $0 }?.endGroup(grace: 1) }
                        // The result is the run's last word: a CLI still there after it is ended.
                        if ended, let child = stopped.withLock({ $0 }) {
                            OSThread.detach(name: "claude-linger") {
                                if child.wait(timeout: ClaudeCodeRunner.lingerSeconds) == nil {
                                    child.endGroup(grace: 1)
                                }
                            }
                        }
                    }
                ).confined(task.confinement, extra: resolved.environment).withLineLimit(AgentLaunch.maxMessageBytes))
        } catch {
            return "cannot start \(resolved.executable): \(error)"
        }
        stopped.withLock { $0 = child }
        child.feed(prompt)
        let status = await child.exitEndingGroupOnCancel()
        stream = state.withLock { $0 }
        if stream.run.gaveUp {
            return "the model API kept failing: \(stream.run.apiRetries) retries in one run"
                + (stream.run.lastAPIError.map { " (last: \($0))" } ?? "")
                + "; providers.<name>.max_api_retries is \(settings.maxAPIRetries)"
        }
        if !stream.run.sawResult {
            let detail = child.errors.split(separator: "\n").suffix(3).joined(separator: " | ")
            let unreadable =
                stream.run.unreadable > 0 ? " (\(stream.run.unreadable) lines of its output were not stream-json)" : ""
            return "exited with status \(status) without a result\(unreadable)" + (detail.isEmpty ? "" : ": \(detail)")
        }
        return nil
    }
}

/// Claude Code's stream-json, folded line by line into the attempt's report and the current run.
struct ClaudeStream: Sendable {
    /// What the current `claude -p` process said.
    struct Run: Sendable {
        var sawResult = false
        var isError = false
        var subtype: String?
        var result: String?
        var errors: [String] = []
        var apiErrorStatus: Int64?
        var apiRetries = 0
        var lastAPIError: String?
        var gaveUp = false
        var steps: Int64?
        /// Lines that were not JSON objects (or were cut at the message limit).
        var unreadable = 0
    }

    var report: AgentReport
    let maxAPIRetries: Int
    var run = Run()
    var sessionID: String?
    /// The session's cost so far: `total_cost_usd` is the whole session's, across `--resume`.
    var costUSD: Double?
    /// Tokens of the runs before this one; `usage` in a result covers its own run only.
    private var earlier = TokenUsage()
    private var deniedIDs: Set<String> = []
    /// Where each Bash tool use's command is in the report, to mark it if it is denied.
    private var commandIndex: [String: Int] = [:]
    /// Bash tool uses whose result has not come yet: it becomes the command's result.
    private var pendingCommands: Set<String> = []

    /// A denied command did not run: the report says so.
    private mutating func markDenied(_ id: String) {
        deniedIDs.insert(id)
        if let index = commandIndex.removeValue(forKey: id), report.commands.indices.contains(index) {
            report.commands[index] = "(denied) " + report.commands[index]
        }
    }

    init(report: AgentReport, maxAPIRetries: Int) {
        self.report = report
        self.maxAPIRetries = maxAPIRetries
    }

    /// The events a line reports, and whether the CLI should be stopped (too many API retries).
    mutating func absorb(_ json: JSONValue) -> ([AgentEvent], Bool) {
        if let session = json["session_id"]?.stringValue, !session.isEmpty { sessionID = session }
        var events: [AgentEvent] = []
        switch (json["type"]?.stringValue, json["subtype"]?.stringValue) {
        case ("system", "init"):
            if report.model == nil, let model = json["model"]?.stringValue { report.model = model }
            if let version = json["claude_code_version"]?.stringValue, report.agentVersion == nil {
                report.agentVersion = version
            }
        case ("system", "permission_denied"):
            let tool = json["tool_name"]?.stringValue ?? "a tool"
            let message = json["message"]?.stringValue ?? ""
            if let id = json["tool_use_id"]?.stringValue { markDenied(id) }
            report.denied(tool, message)
            events.append(.permissionDenied("\(tool): \(message)"))
        case ("system", "api_retry"):
            run.apiRetries += 1
            report.apiRetries += 1
            let why = Self.retryReason(json)
            run.lastAPIError = why
            events.append(.apiRetry(why))
            if run.apiRetries > maxAPIRetries { run.gaveUp = true }
        case ("assistant", _):
            if let model = json["message"]?["model"]?.stringValue, !model.isEmpty, !model.hasPrefix("<") {
                report.model = model
            }
            for block in json["message"]?["content"]?.arrayValue ?? [] {
                switch block["type"]?.stringValue {
                case "text":
                    if let text = block["text"]?.stringValue, !text.isEmpty { events.append(.message(text)) }
                case "tool_use":
                    let name = block["name"]?.stringValue ?? "tool"
                    if name == "Bash", let command = block["input"]?["command"]?.stringValue {
                        if let id = block["id"]?.stringValue {
                            commandIndex[id] = report.commands.count
                            pendingCommands.insert(id)
                        }
                        report.ranCommand(command)
                        events.append(.command(command))
                    } else {
                        report.usedTool(name)
                        events.append(.toolCall(name))
                    }
                default: continue
                }
            }
        case ("user", _):
            // A Bash tool use's result (`tool_result`): its output, and whether it failed. The
            // stream gives no exit code; a denied command has no result of its own.
            for block in json["message"]?["content"]?.arrayValue ?? [] where block["type"]?.stringValue == "tool_result"
            {
                guard let id = block["tool_use_id"]?.stringValue, pendingCommands.remove(id) != nil,
                    !deniedIDs.contains(id)
                else { continue }
                let content = block["content"]
                let text =
                    content?.stringValue
                    ?? (content?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
                let failed = block["is_error"]?.boolValue == true
                events.append(.commandResult(exitCode: nil, output: failed ? "(failed) " + text : text))
            }
        case ("result", _):
            absorbResult(json)
        default:
            break
        }
        return (events, run.gaveUp)
    }

    /// `system/api_retry`: which attempt, the HTTP status and the error, as one phrase.
    static func retryReason(_ json: JSONValue) -> String {
        var parts: [String] = []
        if let attempt = json["attempt"]?.intValue {
            parts.append("attempt \(attempt)" + (json["max_retries"]?.intValue.map { " of \($0)" } ?? ""))
        }
        if let status = json["error_status"]?.intValue { parts.append("HTTP \(status)") }
        if let error = json["error"]?.stringValue { parts.append(error) }
        // Checked first: Int(_:) traps on a delay beyond Int64.
        if let delay = json["retry_delay_ms"]?.doubleValue, delay >= 0, delay < 1e15 {
            parts.append("next in \(Int(delay)) ms")
        }
        return parts.isEmpty ? "retrying the model API" : parts.joined(separator: ", ")
    }

    private mutating func absorbResult(_ json: JSONValue) {
        run.sawResult = true
        run.subtype = json["subtype"]?.stringValue
        run.isError = json["is_error"]?.boolValue ?? false
        run.result = json["result"]?.stringValue
        run.errors = (json["errors"]?.arrayValue ?? []).compactMap(\.stringValue)
        run.apiErrorStatus = json["api_error_status"]?.intValue
        run.steps = json["num_turns"]?.intValue
        // The session's total so far: it only grows (a failed resume reports 0 for itself).
        if let cost = json["total_cost_usd"]?.doubleValue, cost.isFinite, cost >= 0 {
            costUSD = max(costUSD ?? 0, cost)
        }
        if let text = run.result, !run.isError { report.finalMessage = text }
        // `modelUsage` is the session's, across `--resume`: absolute totals, per model.
        if let byModel = json["modelUsage"]?.objectValue, !byModel.isEmpty {
            var total = TokenUsage()
            var top: (name: String, cost: Double)?
            for (name, usage) in byModel {
                // Counts checked and totals capped (TokenUsage.count, .sum): `+` would trap past Int64.
                func count(_ key: String) -> Int64 { TokenUsage.count(usage[key]) ?? 0 }
                let cached = count("cacheReadInputTokens")
                let created = count("cacheCreationInputTokens")
                total.input = TokenUsage.sum(total.input, count("inputTokens"), cached, created)
                total.cachedInput = TokenUsage.sum(total.cachedInput, cached)
                total.cacheCreationInput = TokenUsage.sum(total.cacheCreationInput, created)
                total.output = TokenUsage.sum(total.output, count("outputTokens"))
                total.reasoningOutput = TokenUsage.sum(total.reasoningOutput, count("thinkingTokens"))
                let cost = usage["costUSD"]?.doubleValue ?? 0
                if top == nil || cost > top!.cost || (cost == top!.cost && name < top!.name) { top = (name, cost) }
            }
            report.usage = total
            earlier = total
            if let top { report.model = top.name }
        } else if let usage = json["usage"] {
            // Older versions: `usage` of this run, added to the runs before it.
            func count(_ value: JSONValue?) -> Int64 { TokenUsage.count(value) ?? 0 }
            let cached = count(usage["cache_read_input_tokens"])
            let created = count(usage["cache_creation_input_tokens"])
            var total = earlier
            total.input = TokenUsage.sum(total.input, count(usage["input_tokens"]), cached, created)
            total.cachedInput = TokenUsage.sum(total.cachedInput, cached)
            total.cacheCreationInput = TokenUsage.sum(total.cacheCreationInput, created)
            total.output = TokenUsage.sum(total.output, count(usage["output_tokens"]))
            total.reasoningOutput = TokenUsage.sum(
                total.reasoningOutput, count(usage["output_tokens_details"]?["thinking_tokens"]))
            report.usage = total
            earlier = total
        }
        for denial in json["permission_denials"]?.arrayValue ?? [] {
            guard let id = denial["tool_use_id"]?.stringValue, !deniedIDs.contains(id) else { continue }
            markDenied(id)
            let tool = denial["tool_name"]?.stringValue ?? "a tool"
            report.denied(tool, denial["tool_input"]?["command"]?.stringValue ?? denial["tool_input"]?.text ?? "")
        }
    }

    func outcome(failure: String) -> AgentOutcome {
        var outcome = base(.failed)
        outcome.error = failure == "cancelled" ? failure : "claude-code: " + failure
        return outcome
    }

    private func base(_ status: AgentOutcome.Status) -> AgentOutcome {
        var outcome = AgentOutcome(
            status: status, result: run.result, tokensInput: report.usage.input, tokensOutput: report.usage.output,
            costUSD: costUSD)
        outcome.model = report.model
        outcome.report = report
        return outcome
    }

    /// How the attempt ended, in words: an error result, a step limit, a permission denial (which
    /// blocks the issue), or success.
    func finalOutcome(settings: ClaudeCodeRunner.Settings) -> AgentOutcome {
        if let denial = report.permissionDenials.first {
            var outcome = base(.needsInput)
            let more = report.permissionDenials.count > 1 ? " (and \(report.permissionDenials.count - 1) more)" : ""
            outcome.error =
                "claude-code was denied \(denial.tool)\(more): \(denial.detail) — allow it with the provider's "
                + "allowed_tools or permission_mode (now \(settings.permissionMode)), then retry the issue"
            return outcome
        }
        guard run.isError || (run.subtype ?? "success") != "success" else { return base(.succeeded) }
        var outcome = base(.failed)
        outcome.error = "claude-code: " + errorSentence(settings: settings)
        return outcome
    }

    private func errorSentence(settings: ClaudeCodeRunner.Settings) -> String {
        let detail = run.errors.isEmpty ? (run.result ?? "") : run.errors.joined(separator: "; ")
        switch run.subtype {
        case "error_max_turns":
            let steps = run.steps.map { " after \($0) steps" } ?? ""
            return "stopped at its step limit\(steps) (providers.<name>.max_steps is "
                + (settings.maxSteps.map(String.init) ?? "unset") + ")"
        case "error_max_budget_usd":
            return "stopped at its budget limit" + (detail.isEmpty ? "" : ": \(detail)")
        case "error_during_execution":
            return "the run failed" + (detail.isEmpty ? "" : ": \(detail)")
        default:
            if let status = run.apiErrorStatus {
                // The CLI's text starts "API Error: 400 …": the status is said once, here.
                var text = Substring(detail)
                if text.hasPrefix("API Error: ") { text = text.dropFirst("API Error: ".count) }
                if text.hasPrefix("\(status) ") { text = text.dropFirst("\(status) ".count) }
                return "the model API answered HTTP \(status)" + (text.isEmpty ? "" : ": \(text)")
            }
            return (run.subtype.map { $0 == "success" ? "an error" : $0 } ?? "an error")
                + (detail.isEmpty ? "" : ": \(detail)")
        }
    }
}

import BatonJSON
import BatonPlatform
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Claude Code headless: `claude -p --output-format stream-json --verbose`, the prompt on stdin,
/// one JSON object per stdout line (`system` init with the session id, `assistant` messages with
/// text and tool_use blocks, `user` tool results, and a final `result` with the answer, usage and
/// `total_cost_usd`). Steering messages that arrive while it runs become the next turn, which
/// resumes the session (`--resume <session_id>`), up to `maxTurns` turns.
public struct ClaudeCodeRunner: AgentRunner {
    public let kind = "claude-code"
    /// The command that starts Claude Code (`claude`, a path, or e.g. `npx @anthropic-ai/claude-code`).
    public let command: String
    public let extraArguments: [String]

    public init(command: String = "claude", extraArguments: [String] = []) {
        self.command = command
        self.extraArguments = extraArguments
    }

    /// What one `claude -p` run reported.
    struct Turn: Sendable {
        var sessionID: String?
        var result: String?
        var isError = false
        var subtype: String?
        var costUSD: Double?
        var input: Int64 = 0
        var output: Int64 = 0
        var sawResult = false
    }

    public func run(_ task: AgentTask, steer: AsyncStream<String>, events: @escaping @Sendable (AgentEvent) -> Void)
        async -> AgentOutcome
    {
        let pending = PendingSteer()
        let listener = Task {
            for await message in steer { pending.add(message) }
        }
        defer { listener.cancel() }
        var prompt = task.prompt
        if let input = task.input, !input.isEmpty { prompt += "\n\n" + input }
        var session: String?
        var totals = (input: Int64(0), output: Int64(0), cost: 0.0)
        var turn = 0
        var last = Turn()
        while turn < max(1, task.maxTurns) {
            turn += 1
            events(.turnStarted(turn))
            guard let result = await runOnce(task, prompt: prompt, resume: session, turn: turn, events: events) else {
                return .failed("claude-code: cannot start \(command)")
            }
            last = result
            events(.turnEnded(turn))
            if Task.isCancelled { return .failed("cancelled") }
            totals.input += result.input
            totals.output += result.output
            totals.cost += result.costUSD ?? 0
            events(.tokens(input: totals.input, output: totals.output))
            session = result.sessionID ?? session
            guard result.sawResult, !result.isError else { break }
            // Steering that came in during the turn is the next turn's prompt, in the same session.
            let next = pending.take()
            if next.isEmpty || session == nil { break }
            prompt = next.joined(separator: "\n\n")
        }
        let outcome = AgentOutcome(
            status: .succeeded, result: last.result, tokensInput: totals.input, tokensOutput: totals.output,
            costUSD: totals.cost)
        guard last.sawResult else {
            var failed = outcome
            failed.status = .failed
            failed.error = "claude-code ended without a result line"
            return failed
        }
        if last.isError || (last.subtype ?? "success") != "success" {
            var failed = outcome
            failed.status = .failed
            failed.error = "claude-code: \(last.subtype ?? "error")" + (last.result.map { ": " + $0 } ?? "")
            return failed
        }
        return outcome
    }

    /// One `claude -p` process; nil when it could not be started.
    private func runOnce(
        _ task: AgentTask, prompt: String, resume: String?, turn: Int, events: @escaping @Sendable (AgentEvent) -> Void
    ) async -> Turn? {
        var arguments = ["-p", "--output-format", "stream-json", "--verbose", "--max-turns", String(task.maxTurns)]
        if let model = task.model { arguments += ["--model", model] }
        if let resume { arguments += ["--resume", resume] }
        arguments += extraArguments
        let state = Mutex(Turn())
        let child: Subprocess
        do {
            // `exec <command> "$@"`: the command may be a name on PATH, a path, or several words.
            child = try Subprocess(
                Subprocess.Options(
                    "/bin/sh", ["-c", "exec \(command) \"$@\"", "claude"] + arguments,
                    environment: ["BATON_JOB_ID": String(task.jobID), "BATON_WORKSPACE": task.workspace],
                    directory: task.workspace, captureLimit: 256 * 1024,
                    onStdoutLine: { line in
                        guard let json = try? JSONParser.parse(line) else { return }
                        state.withLock { Self.absorb(json, into: &$0, events: events) }
                    }))
        } catch {
            return nil
        }
        child.feed(prompt)
        let status = await child.exitEndingGroupOnCancel()
        var result = state.withLock { $0 }
        if !result.sawResult && status != 0 {
            let detail = child.errors.split(separator: "\n").suffix(3).joined(separator: " | ")
            result.isError = true
            result.subtype = "exit status \(status)"
            result.result = detail.isEmpty ? nil : detail
            result.sawResult = true
        }
        return result
    }

    /// Folds one stream-json line into the turn and reports what it says.
    static func absorb(_ json: JSONValue, into turn: inout Turn, events: (AgentEvent) -> Void) {
        if let session = json["session_id"]?.stringValue { turn.sessionID = session }
        switch json["type"]?.stringValue {
        case "assistant":
            for block in json["message"]?["content"]?.arrayValue ?? [] {
                switch block["type"]?.stringValue {
                case "text": if let text = block["text"]?.stringValue { events(.message(text)) }
                case "tool_use": events(.toolCall(block["name"]?.stringValue ?? "tool"))
                default: continue
                }
            }
        case "result":
            turn.sawResult = true
            turn.subtype = json["subtype"]?.stringValue
            turn.isError = json["is_error"]?.boolValue ?? false
            turn.result = json["result"]?.stringValue
            turn.costUSD = json["total_cost_usd"]?.doubleValue
            let usage = json["usage"]
            turn.input =
                (usage?["input_tokens"]?.intValue ?? 0) + (usage?["cache_creation_input_tokens"]?.intValue ?? 0)
                + (usage?["cache_read_input_tokens"]?.intValue ?? 0)
            turn.output = usage?["output_tokens"]?.intValue ?? 0
        default:
            break
        }
    }
}

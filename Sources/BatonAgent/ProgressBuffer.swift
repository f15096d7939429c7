import BatonJSON
import Synchronization

/// What a running attempt has reported since the last batch sent to the coordinator.
final class ProgressBuffer: Sendable {
    private struct State {
        var turn = 0
        var messages: [String] = []
        var toolCalls = 0
        var commands = 0
        var lastCommand: String?
        /// How `lastCommand` ended, when the agent said so before the next command.
        var lastCommandResult: String?
        /// The last tool the agent called that was not a command (what a Linear agent session
        /// shows as an action, SPEC §9.15).
        var lastTool: String?
        var apiRetries = 0
        var lastAPIError: String?
        /// Signs of work with nothing to show (streamed output): reported as a count, so the
        /// report is activity for stall detection.
        var activity = 0
        var tokens: (input: Int64, output: Int64)?
        var changed = false
    }

    private let state = Mutex(State())

    func record(_ event: AgentEvent) {
        state.withLock { s in
            switch event {
            case .turnStarted(let n), .turnEnded(let n): s.turn = n
            case .message(let text):
                s.messages.append(String(text.prefix(500)))
                if s.messages.count > 5 { s.messages.removeFirst(s.messages.count - 5) }
            case .toolCall(let name):
                s.toolCalls += 1
                s.lastTool = String(name.prefix(500))
            case .command(let command):
                s.toolCalls += 1
                s.commands += 1
                s.lastCommand = String(command.prefix(500))
                s.lastCommandResult = nil
            case .commandResult(let code, let output):
                // The exit code and the end of the output, where the outcome usually is.
                let tail = output.count > 500 ? "…" + String(output.suffix(499)) : output
                let status = code.map { "exit \($0)" } ?? "done"
                s.lastCommandResult = tail.trimmingWhitespace.isEmpty ? status : "\(status): \(tail)"
            case .apiRetry(let why):
                s.apiRetries += 1
                s.lastAPIError = String(why.prefix(500))
            case .permissionDenied(let what):
                s.messages.append(String(("permission denied: " + what).prefix(500)))
                if s.messages.count > 5 { s.messages.removeFirst(s.messages.count - 5) }
            case .tokens(let input, let output): s.tokens = (input, output)
            case .activity: s.activity += 1
            }
            s.changed = true
        }
    }

    var tokens: (input: Int64, output: Int64)? { state.withLock { $0.tokens } }

    func markChanged() { state.withLock { $0.changed = true } }

    /// The progress document and token totals, if anything changed since the last call.
    func takeIfChanged() -> (JSONValue, (input: Int64, output: Int64)?)? {
        state.withLock { s in
            guard s.changed else { return nil }
            s.changed = false
            var progress: [String: JSONValue] = [
                "turn": .int(Int64(s.turn)), "recent_messages": .array(s.messages.map(JSONValue.string)),
                "tool_calls": .int(Int64(s.toolCalls)), "commands": .int(Int64(s.commands)),
            ]
            if let command = s.lastCommand { progress["last_command"] = .string(command) }
            if let result = s.lastCommandResult { progress["last_command_result"] = .string(result) }
            if let tool = s.lastTool { progress["last_tool"] = .string(tool) }
            if s.activity > 0 { progress["activity"] = .int(Int64(s.activity)) }
            if s.apiRetries > 0 {
                progress["api_retries"] = .int(Int64(s.apiRetries))
                progress["last_api_error"] = s.lastAPIError.map(JSONValue.string) ?? .null
            }
            return (.object(progress), s.tokens)
        }
    }
}

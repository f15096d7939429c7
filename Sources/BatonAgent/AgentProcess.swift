import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// How runners drive an agent's process: the prompt on stdin, then its exit awaited, with the
/// whole process group ended when the task is cancelled (SIGTERM, SIGKILL `grace` seconds later)
/// and whatever it left running killed afterwards.
extension Subprocess {
    /// Writes `prompt` to stdin and closes it, on a thread of its own: a child that does not read
    /// its input must not block the runner.
    func feed(_ prompt: String) {
        OSThread.detach(name: "agent-stdin") {
            self.write(prompt)
            self.closeInput()
        }
    }

    /// The exit code; cancelling the calling task ends the process group.
    func exitEndingGroupOnCancel(grace: Double = 2) async -> Int32 {
        let status = await withTaskCancellationHandler {
            await exitCode()
        } onCancel: {
            endGroup(grace: grace)
        }
        signalGroup(SIGKILL)  // whatever it left running in its group
        return status
    }

    /// SIGTERM to the group now, SIGKILL `grace` seconds later, without waiting: safe to call
    /// from async code (the waiter thread reaps the child).
    func endGroup(grace: Double = 1) {
        signalGroup(SIGTERM)
        OSThread.detach(name: "agent-kill") {
            usleep(UInt32(grace * 1_000_000))
            self.signalGroup(SIGKILL)
        }
    }
}

extension Subprocess.Options {
    func withLineLimit(_ limit: Int) -> Subprocess.Options {
        var copy = self
        copy.lineLimit = limit
        return copy
    }
}

extension AgentEvent {
    func redacting(_ secrets: [String]) -> AgentEvent {
        func clean(_ text: String) -> String { secrets.reduce(text) { HTTPProviderRunner.redact($0, key: $1) } }
        switch self {
        case .message(let text): return .message(clean(text))
        case .command(let text): return .command(clean(text))
        case .commandResult(let code, let output): return .commandResult(exitCode: code, output: clean(output))
        case .toolCall(let text): return .toolCall(clean(text))
        case .apiRetry(let text): return .apiRetry(clean(text))
        case .permissionDenied(let text): return .permissionDenied(clean(text))
        default: return self
        }
    }
}

extension AgentOutcome {
    /// The outcome with every secret value taken out of its texts: an agent that prints its key
    /// (or echoes it in an error) does not put it into the job, the events or the report.
    func redacting(_ secrets: [String]) -> AgentOutcome {
        guard !secrets.isEmpty else { return self }
        func clean(_ text: String) -> String { secrets.reduce(text) { HTTPProviderRunner.redact($0, key: $1) } }
        var copy = self
        copy.result = result.map(clean)
        copy.error = error.map(clean)
        if var report {
            report.commands = report.commands.map(clean)
            report.finalMessage = report.finalMessage.map(clean)
            report.permissionDenials = report.permissionDenials.map { ($0.tool, clean($0.detail)) }
            report.approvals = report.approvals.map { (clean($0.request), $0.decision) }
            copy.report = report
        }
        return copy
    }
}

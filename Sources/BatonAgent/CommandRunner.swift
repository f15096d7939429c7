import BatonPlatform
import BatonWorkerProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Any CLI as an agent: `sh -c <command>` in the workspace, the prompt on stdin, stdout the
/// result, exit status 0 success. Each stdout line is also reported as a message. Steering is not
/// passed on (the prompt ends with end of file); cancellation ends the command's whole group.
public struct CommandRunner: AgentRunner {
    public let kind = ProviderKind.command.rawValue
    public let command: String
    /// Bytes of stdout kept as the result (head and tail).
    public let resultLimit: Int
    /// The provider's `env` (values may be `$secret:` references), resolved at each start.
    public let launch: AgentLaunch

    public init(command: String, resultLimit: Int = 256 * 1024, launch: AgentLaunch? = nil) {
        self.command = command
        self.resultLimit = resultLimit
        self.launch = launch ?? AgentLaunch(command: "/bin/sh")
    }

    public func run(_ task: AgentTask, steer: AsyncStream<String>, events: @escaping @Sendable (AgentEvent) -> Void)
        async -> AgentOutcome
    {
        let resolved: AgentLaunch.Resolved
        do {
            resolved = try await launch.resolve()
        } catch {
            return .failed("command: \(error)")
        }
        return await run(task, provider: resolved.environment, events: resolved.redacting(events))
            .redacting(resolved.secrets)
    }

    private func run(
        _ task: AgentTask, provider: [String: String], events: @escaping @Sendable (AgentEvent) -> Void
    ) async -> AgentOutcome {
        let environment = [
            "BATON_JOB_ID": String(task.jobID), "BATON_ATTEMPT": String(task.attempt),
            "BATON_ISSUE": task.issue ?? "", "BATON_MODEL": task.model ?? "", "BATON_WORKSPACE": task.workspace,
        ]
        let child: Subprocess
        do {
            child = try Subprocess(
                Subprocess.Options(
                    "/bin/sh", ["-c", command], environment: environment, directory: task.workspace,
                    captureLimit: resultLimit, onStdoutLine: { line in events(.message(line)) }
                ).confined(task.confinement, extra: provider))
        } catch {
            return .failed("command: \(error)")
        }
        events(.turnStarted(1))
        var text = task.prompt
        if let input = task.input, !input.isEmpty { text += "\n\n" + input }
        let prompt = text
        child.feed(prompt)
        let status = await child.exitEndingGroupOnCancel()
        events(.turnEnded(1))
        if Task.isCancelled { return .failed("cancelled") }
        if status == 0 { return AgentOutcome(status: .succeeded, result: child.output) }
        let detail = child.errors.split(separator: "\n").suffix(5).joined(separator: " | ")
        return AgentOutcome(
            status: .failed, result: child.output.isEmpty ? nil : child.output,
            error: "the command exited with status \(status)" + (detail.isEmpty ? "" : ": " + detail))
    }
}

import BatonWorkerProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The default runner: writes the prompt into the workspace as `PROMPT.md` and returns a summary.
/// Costs nothing and needs nothing installed, so a new install works end to end.
public struct DryRunRunner: AgentRunner {
    public let kind = ProviderKind.dryRun.rawValue

    public init() {}

    public func run(_ task: AgentTask, steer: AsyncStream<String>, events: @escaping @Sendable (AgentEvent) -> Void)
        async -> AgentOutcome
    {
        events(.turnStarted(1))
        var text = task.prompt
        if let input = task.input, !input.isEmpty { text += "\n\n---\n\n" + input }
        if !text.hasSuffix("\n") { text += "\n" }
        let path = task.workspace + "/PROMPT.md"
        guard Self.write(text, to: path) else {
            return .failed("dry run: cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let summary =
            "Dry run: no agent ran. The prompt (\(text.utf8.count) bytes) is in \(path)"
            + (task.model.map { " (model \($0) would have been used)" } ?? "") + "."
        events(.message(summary))
        events(.tokens(input: 0, output: 0))
        events(.turnEnded(1))
        return AgentOutcome(status: .succeeded, result: summary, costUSD: 0)
    }

    /// Writes through a temporary file and a rename, so a reader never sees half a prompt. The
    /// temporary file is made by `mkstemp` (exclusive creation, an unpredictable name), so a
    /// symlink planted in the workspace under a guessable name cannot redirect the write.
    static func write(_ text: String, to path: String) -> Bool {
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return false }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        fchmod(fd, 0o644)
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                unlink(temporary)
                return false
            }
            offset += n
        }
        close(fd)
        return rename(temporary, path) == 0
    }
}

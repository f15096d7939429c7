import BatonPlatform
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The workspace hooks of `workspaces.hooks`: shell snippets run with `sh -c` in the workspace, in
/// a process group of their own, killed as a group at the timeout or when the job is cancelled.
public struct Hooks: Sendable {
    public enum Name: String, Sendable, CaseIterable {
        case afterCreate = "after_create"
        case beforeRun = "before_run"
        case afterRun = "after_run"
        case beforeRemove = "before_remove"

        /// after_create and before_run failing fail the attempt; the others are only logged.
        public var failsTheAttempt: Bool { self == .afterCreate || self == .beforeRun }
    }

    public enum Outcome: Sendable, Equatable {
        case ok
        case failed(status: Int32, output: String)
        case timedOut(seconds: Double)
        case cancelled

        public var succeeded: Bool { self == .ok }

        public var sentence: String {
            switch self {
            case .ok: "ok"
            case .failed(let status, let output):
                "exited with status \(status)" + (output.isEmpty ? "" : ": " + Self.lastLines(output))
            case .timedOut(let seconds): "killed after the \(seconds) s hook timeout"
            case .cancelled: "cancelled"
            }
        }

        static func lastLines(_ text: String) -> String {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(5)
            return String(lines.joined(separator: " | ").prefix(1000))
        }
    }

    public var scripts: [Name: String]
    public var timeoutMs: Int

    public init(scripts: [Name: String] = [:], timeoutMs: Int = 60_000) {
        self.scripts = scripts
        self.timeoutMs = timeoutMs
    }

    /// Runs hook `name` in `directory` (ok at once when none is configured).
    /// With `confinement` the hook runs as the attempt's agent does (allowlisted environment,
    /// sandbox): hooks are configuration, but they act on what the text put in the workspace.
    public func run(
        _ name: Name, in directory: String, environment: [String: String] = [:], confinement: Confinement? = nil
    ) async -> Outcome {
        guard let script = scripts[name], !script.isEmpty else { return .ok }
        let child: Subprocess
        do {
            child = try Subprocess(
                Subprocess.Options(
                    "/bin/sh", ["-c", script], environment: environment, directory: directory, mergeStderr: true,
                    captureLimit: 64 * 1024
                ).confined(confinement))
        } catch {
            return .failed(status: -1, output: "\(error)")
        }
        child.closeInput()
        let seconds = Double(timeoutMs) / 1000
        return await Self.await(child, timeout: seconds)
    }

    /// Waits for `child` up to `timeout` seconds; ends its whole group on timeout or cancellation.
    static func await(_ child: Subprocess, timeout: Double) async -> Outcome {
        let fired = TimeoutFlag()
        let timer = Task {
            try await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
            fired.fire()
            child.signalGroup(SIGKILL)
        }
        let status = await withTaskCancellationHandler {
            await child.exitCode()
        } onCancel: {
            child.signalGroup(SIGKILL)
        }
        timer.cancel()
        // Anything the script left running in its group goes with it.
        child.signalGroup(SIGKILL)
        if Task.isCancelled { return .cancelled }
        if fired.hasFired { return .timedOut(seconds: timeout) }
        return status == 0 ? .ok : .failed(status: status, output: child.output)
    }
}

/// Set once by a timeout timer, read after the wait it bounds.
final class TimeoutFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func fire() { value.store(true, ordering: .releasing) }
    var hasFired: Bool { value.load(ordering: .acquiring) }
}

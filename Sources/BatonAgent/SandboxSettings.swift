import BatonPlatform

/// `sandbox.*`: how a worker contains its agents and hooks.
public struct SandboxSettings: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Landlock where the kernel has it; without it, agents run unsandboxed (said at start).
        case landlock
        /// No sandbox: chosen explicitly, and `baton serve` warns at start.
        case off
        /// Landlock or nothing: a worker on a kernel without it refuses to start.
        case required
    }

    public var mode = Mode.landlock
    /// Read (and execute) beneath these, besides the system paths.
    public var readPaths: [String] = []
    /// Read and write beneath these, besides the workspace and the private temporary directory
    /// (an agent's own state: CODEX_HOME, ~/.claude).
    public var writePaths: [String] = []
    /// Outbound TCP only to these ports, where the kernel can enforce it (Landlock ABI 4+).
    public var connectPorts: [UInt16]?

    public init(
        mode: Mode = .landlock, readPaths: [String] = [], writePaths: [String] = [], connectPorts: [UInt16]? = nil
    ) {
        self.mode = mode
        self.readPaths = readPaths
        self.writePaths = writePaths
        self.connectPorts = connectPorts
    }

    /// The path an agent may read or write that holds `path` (its real path), if any: the data
    /// directory or the workspace root beneath one would hand agents the keys or other workspaces.
    public func exposure(of path: String) -> String? {
        // A path not made yet is judged by the nearest folder above it that exists.
        var probe = path.hasPrefix("/") ? path : "./" + path
        var real = Workspaces.realPath(probe)
        while real == nil, probe.count > 1 {
            probe = Confinement.parent(probe)
            real = Workspaces.realPath(probe.isEmpty ? "/" : probe)
        }
        guard let real else { return nil }
        for granted in Sandbox.systemReadOnly + readPaths + writePaths {
            guard let grantedReal = Workspaces.realPath(granted) else { continue }
            if grantedReal == "/" || real == grantedReal || real.hasPrefix(grantedReal + "/") { return granted }
        }
        return nil
    }

    /// Whether agents will run in a Landlock sandbox on this machine.
    public var isEnforced: Bool { mode != .off && Sandbox.isAvailable }

    /// What is in force, in words, for logs and the runtime answer.
    public var description: String {
        switch (mode, Sandbox.isAvailable) {
        case (.off, _): "off (sandbox.mode is off)"
        case (_, false): "off (this kernel has no Landlock)"
        default: "landlock (ABI \(Sandbox.abi))"
        }
    }

    /// The confinement of one attempt: `environment` (the job's BATON_*) and `TMPDIR` (the private
    /// `temporary`) over the allowlisted part of Baton's own, and the sandbox around `workspace`
    /// and `temporary`.
    func confinement(environment: [String: String], workspace: String, temporary: String) -> Confinement {
        var base = Confinement.baseEnvironment().merging(environment) { _, job in job }
        base["TMPDIR"] = temporary
        guard isEnforced else { return Confinement(environment: base, sandbox: nil) }
        return Confinement(
            environment: base,
            sandbox: Sandbox(
                readWrite: [workspace, temporary] + writePaths, readOnly: readPaths, connectPorts: connectPorts))
    }
}

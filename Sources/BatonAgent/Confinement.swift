import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// How the processes of one attempt (its agent and its hooks) run (SPEC §7.10, §7.11): with an environment built from
/// an allowlist rather than Baton's own (which may hold keys), and, where the kernel has Landlock,
/// in a sandbox that lets them write only their workspace, a private temporary directory and the
/// configured `sandbox.write_paths`, and read only system paths and `sandbox.read_paths`: not the
/// data directory, not other workspaces, not other homes.
public struct Confinement: Sendable {
    /// The whole environment of the child (before a provider's own `env` is added).
    public var environment: [String: String]
    /// nil: no sandbox (`sandbox.mode` off, or no Landlock in this kernel).
    public var sandbox: Sandbox?

    public init(environment: [String: String], sandbox: Sandbox?) {
        self.environment = environment
        self.sandbox = sandbox
    }

    /// Variables of Baton's own environment an agent may see; everything else stays behind.
    public static let passedThrough = [
        "PATH", "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TERM", "USER", "LOGNAME", "TZ",
    ]

    /// The allowlisted part of this process's environment.
    public static func baseEnvironment() -> [String: String] {
        var out: [String: String] = [:]
        for name in passedThrough {
            if let value = getenv(name) { out[name] = String(cString: value) }
        }
        if out["PATH"] == nil { out["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        return out
    }

    /// What is in force, for the attempt's report and the runtime answer.
    public var description: String { sandbox?.description ?? "off" }

    /// Options for a child: `extra` added to the environment (a provider's `env` wins over Baton's
    /// variables), and the directory of `executable` readable when it lies outside the system
    /// paths (an agent CLI installed in a virtual environment, say).
    func apply(to options: inout Subprocess.Options, extra: [String: String] = [:]) {
        options.inheritEnvironment = false
        options.environment = environment.merging(options.environment) { _, own in own }.merging(extra) { _, e in e }
        guard var sandbox else { return }
        if options.executable.hasPrefix("/"), let real = Workspaces.realPath(options.executable) {
            let dir = Self.parent(real)
            sandbox.readOnly.append(dir)
            // An installation's `bin/` reads its prefix (codex: ../codex-package.json, resources).
            // Never a home directory (`~/bin/x`) or the root itself.
            let prefix = Self.parent(dir)
            let home = getenv("HOME").map { String(cString: $0) }
            let depth = prefix.split(separator: "/").count
            let isHome = prefix == home || prefix == "/root" || (prefix.hasPrefix("/home/") && depth == 2)
            if dir.hasSuffix("/bin"), depth >= 1, !isHome { sandbox.readOnly.append(prefix) }
        }
        options.sandbox = sandbox
    }
}

extension Confinement {
    static func parent(_ path: String) -> String {
        var dir = path
        while let last = dir.last, last != "/" { dir.removeLast() }
        if dir.count > 1 { dir.removeLast() }
        return dir
    }
}

extension Subprocess.Options {
    /// These options confined by `confinement` when there is one (a runner's task without one, as
    /// in a runner's own tests, runs as it is), and supervised by this process's supervisor when
    /// it has one (`baton` installs it): the child's group ends when the worker does (SPEC §7.14).
    func confined(_ confinement: Confinement?, extra: [String: String] = [:]) -> Subprocess.Options {
        var copy = self
        copy.supervisor = Supervisor.current
        guard let confinement else {
            copy.environment.merge(extra) { _, e in e }
            return copy
        }
        confinement.apply(to: &copy, extra: extra)
        return copy
    }
}

import BatonAgent
import BatonCore
import BatonJSON
import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// Worker settings from the effective configuration: workspaces, hooks, turns, runners. Shared
/// by the embedded workers of `baton serve` and by `baton node`.
enum WorkerSetup {
    /// The default workspace root sits beside the data directory, never inside it (an agent must
    /// not find the keys and the database a `..` away): `.baton-workspaces`, or `<data-dir>-workspaces`
    /// for a data directory given on the command line. A root set in the configuration is used as it is.
    static func settings(name: String, tags: [String], capacity: Int, config: JSONValue, dataDir: String? = nil)
        -> WorkerSettings
    {
        let reader = ConfigReader(config)
        var root = reader.string("workspaces.root")
        if root == defaultRoot, let dataDir {
            var base = dataDir
            while base.count > 1, base.hasSuffix("/") { base.removeLast() }
            root = base + "-workspaces"
        }
        var scripts: [Hooks.Name: String] = [:]
        for hook in Hooks.Name.allCases {
            if let script = config.value(at: ["workspaces", "hooks", hook.rawValue])?.stringValue {
                scripts[hook] = script
            }
        }
        let timeout = Int(reader.int("workspaces.hook_timeout_ms"))
        var settings = WorkerSettings(
            name: name, tags: tags, capacity: capacity, workspaces: Workspaces(root: root),
            hooks: Hooks(scripts: scripts, timeoutMs: timeout), version: BatonVersion.current)
        settings.maxTurns = Int(reader.int("agent.max_turns"))
        settings.keepAdHocWorkspaces = reader.bool("workspaces.keep_adhoc")
        settings.sandbox = sandbox(config)
        return settings
    }

    static let defaultRoot = ConfigReader([:]).string("workspaces.root")

    /// `sandbox.*` (the schema has checked the values).
    static func sandbox(_ config: JSONValue) -> SandboxSettings {
        let strings = { (key: String) in
            (config.value(at: ["sandbox", key])?.arrayValue ?? []).compactMap(\.stringValue)
        }
        let ports = config.value(at: ["sandbox", "connect_ports"])?.arrayValue?.compactMap { value -> UInt16? in
            value.intValue.flatMap { UInt16(exactly: $0) }
        }
        return SandboxSettings(
            mode: SandboxSettings.Mode(rawValue: ConfigReader(config).string("sandbox.mode")) ?? .landlock,
            readPaths: strings("read_paths"), writePaths: strings("write_paths"),
            connectPorts: ports?.isEmpty == false ? ports : nil)
    }

    /// `secret` resolves `$secret:` references of provider API keys when a request needs them.
    static func runners(
        config: JSONValue, secret: @escaping @Sendable (String) async throws -> String? = { _ in nil }
    ) -> RunnerCatalog {
        let timeout = ConfigReader(config).int("agent.turn_timeout_ms")
        return RunnerCatalog(
            providers: config.value(at: ["providers"]), turnTimeout: .milliseconds(timeout), secret: secret)
    }

    /// For `baton node`, which has no vault: `$secret:NAME` is read from `BATON_SECRET_NAME`
    /// (upper-cased, anything but letters and digits as `_`); a plain value is used as it is.
    static func environmentSecret(_ reference: String) -> String? {
        guard reference.hasPrefix("$secret:") else { return reference }
        let name = reference.dropFirst("$secret:".count).unicodeScalars.map { scalar -> String in
            switch scalar {
            case "a"..."z": String(scalar).uppercased()
            case "A"..."Z", "0"..."9": String(scalar)
            default: "_"
            }
        }.joined()
        return getenv("BATON_SECRET_" + name).map { String(cString: $0) }
    }

    /// The sandbox in force, in words; refuses `required` without Landlock, and warns on stderr
    /// when agents will run without one (unless `quiet`).
    /// `protected` are the places no agent may reach (the data directory, the workspace root):
    /// with a sandbox in force, one beneath a path agents are given is refused.
    static func checkSandbox(_ sandbox: SandboxSettings, protected: [(String, String)] = [], quiet: Bool = false)
        throws -> String
    {
        if sandbox.mode == .required && !Sandbox.isAvailable {
            throw RuntimeError(
                "sandbox.mode is required, but this kernel has no Landlock (Linux 5.13+ with landlock in its LSM list)")
        }
        if sandbox.isEnforced {
            for (what, path) in protected {
                if let granted = sandbox.exposure(of: path) {
                    throw RuntimeError(
                        "\(what) \(path) is beneath \(granted), which agents may read: move it (or leave it out of sandbox.read_paths and write_paths)"
                    )
                }
            }
        }
        if !quiet && !sandbox.isEnforced {
            let why =
                sandbox.mode == .off
                ? "sandbox.mode is off"
                : "this kernel has no Landlock (set sandbox.mode to off to say so, or required to refuse)"
            Log.write("baton: warning: \(why): agents and hooks run with every file this process can reach")
        }
        return sandbox.description
    }

    static func tags(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }
}

import BatonAgent
import BatonCore
import BatonJSON

#if canImport(Glibc)
    import Glibc
#endif

/// Worker settings from the effective configuration: workspaces, hooks, turns, runners. Shared
/// by the embedded workers of `baton serve` and by `baton node`.
enum WorkerSetup {
    /// `dataDir` moves the default workspace root (`.baton/workspaces`) under a data directory
    /// given on the command line; a root set in the configuration is used as it is.
    static func settings(name: String, tags: [String], capacity: Int, config: JSONValue, dataDir: String? = nil)
        -> WorkerSettings
    {
        var root = config.value(at: ["workspaces", "root"])?.stringValue ?? defaultRoot
        if root == defaultRoot, let dataDir { root = dataDir + "/workspaces" }
        var scripts: [Hooks.Name: String] = [:]
        for hook in Hooks.Name.allCases {
            if let script = config.value(at: ["workspaces", "hooks", hook.rawValue])?.stringValue {
                scripts[hook] = script
            }
        }
        let timeout = Int(config.value(at: ["workspaces", "hook_timeout_ms"])?.intValue ?? 60_000)
        var settings = WorkerSettings(
            name: name, tags: tags, capacity: capacity, workspaces: Workspaces(root: root),
            hooks: Hooks(scripts: scripts, timeoutMs: timeout), version: BatonVersion.current)
        settings.maxTurns = Int(config.value(at: ["agent", "max_turns"])?.intValue ?? 20)
        return settings
    }

    static let defaultRoot = ".baton/workspaces"

    /// `secret` resolves `$secret:` references of provider API keys when a request needs them.
    static func runners(
        config: JSONValue, secret: @escaping @Sendable (String) async throws -> String? = { _ in nil }
    ) -> RunnerCatalog {
        let timeout = config.value(at: ["agent", "turn_timeout_ms"])?.intValue ?? 3_600_000
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

    static func tags(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }
}

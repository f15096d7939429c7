import BatonAgent
import BatonCore
import BatonJSON

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

    static func runners(config: JSONValue) -> RunnerCatalog {
        RunnerCatalog(providers: config.value(at: ["providers"]))
    }

    static func tags(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

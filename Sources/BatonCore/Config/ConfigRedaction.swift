import BatonJSON

/// What an API answer may show of instance configuration.
///
/// Configuration is instance-wide and written only by an admin of the system tenant
/// (`server.system_tenant`). Every answer strips credentials (the userinfo of `scheme://user:pass@host`)
/// from URLs. Other tenants see the *tenant view*: an allow-list of the settings that shape their
/// own work, without anything that locates or runs something on the instance — no provider URLs,
/// keys, commands, arguments or environment, no hook commands, no git repository paths or URLs,
/// no tracker or webhook settings, no storage paths, host or port.
public enum ConfigRedaction {
    /// The provider fields a tenant sees: what kind it is and how it behaves, never where it is
    /// or what it runs with.
    static let providerFields: Set<String> = [
        "kind", "models", "pricing", "approvals", "approval_policy", "sandbox", "permission_mode", "allowed_tools",
        "max_steps", "max_api_retries",
    ]
    /// The server limits a client meets.
    static let serverFields: Set<String> = [
        "max_body_bytes", "max_header_bytes", "header_timeout_s", "idle_timeout_s", "body_timeout_s",
        "max_connections_per_source", "rate_limits",
    ]
    /// Sections shown as they are.
    static let openSections: Set<String> = ["agent", "jobs", "router", "budget"]

    /// `document` (the effective configuration or the overlay) as a non-system tenant may see it.
    public static func tenantView(_ document: JSONValue) -> JSONValue {
        guard case .object(let root) = document else { return [:] }
        var out: [String: JSONValue] = [:]
        for (section, value) in root {
            switch section {
            case _ where openSections.contains(section):
                out[section] = value
            case "server":
                if case .object(let fields) = value {
                    out[section] = .object(fields.filter { serverFields.contains($0.key) })
                }
            case "providers":
                guard case .object(let providers) = value else { continue }
                out[section] = .object(
                    providers.mapValues { provider in
                        guard case .object(let fields) = provider else { return [:] }
                        return .object(fields.filter { providerFields.contains($0.key) })
                    })
            case "workspaces":
                // The hook commands and the root are the instance's; their timeout bounds the tenant's jobs.
                if case .object(let fields) = value {
                    out[section] = .object(fields.filter { $0.key == "hook_timeout_ms" })
                }
            case "git":
                guard case .object(let fields) = value else { continue }
                var git: [String: JSONValue] = [:]
                if let routes = fields["routes"] { git["routes"] = routes }
                if case .array(let repos)? = fields["repos"] {
                    git["repos"] = .array(
                        repos.map { repo in
                            guard case .object(let r) = repo else { return [:] }
                            return .object(r.filter { $0.key == "name" || $0.key == "default_branch" })
                        })
                }
                out[section] = .object(git)
            default:
                // storage, tracker, webhooks, local_workers and anything unknown: the instance's alone.
                continue
            }
        }
        return stripCredentials(.object(out))
    }

    /// Every string in `value` with URL credentials removed.
    public static func stripCredentials(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(URLCredentials.strip(text))
        case .array(let items): .array(items.map(stripCredentials))
        case .object(let fields): .object(fields.mapValues(stripCredentials))
        default: value
        }
    }
}

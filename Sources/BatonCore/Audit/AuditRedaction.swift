import BatonJSON

/// Replaces secret values in what gets audited with `[REDACTED]`: any field whose name says it
/// holds a secret, at any depth. `$secret:NAME` references are names, not values, and are kept.
public enum AuditRedaction {
    public static let marker = "[REDACTED]"
    static let secretNames: Set<String> = ["value", "secret", "password", "token", "api_key", "key", "authorization"]
    static let secretSuffixes = ["_key", "_secret", "_token", "_password"]

    public static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields):
            var out: [String: JSONValue] = [:]
            for (name, field) in fields {
                out[name] = isSecretName(name) && !isReference(field) ? .string(marker) : redact(field)
            }
            return .object(out)
        case .array(let items):
            return .array(items.map(redact))
        default:
            return value
        }
    }

    /// The audit diff for a request body: redacted JSON, or only its size when it is not a JSON
    /// document or is larger than `limit` (so a flood of junk cannot fill the disk).
    public static func diff(forBody body: [UInt8], limit: Int = 16 * 1024) -> JSONValue {
        if body.isEmpty { return [:] }
        guard body.count <= limit, let parsed = try? JSONParser.parse(body) else {
            return ["body_bytes": .int(Int64(body.count))]
        }
        return ["body": redact(parsed)]
    }

    static func isSecretName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return secretNames.contains(lower) || secretSuffixes.contains { lower.hasSuffix($0) }
    }

    static func isReference(_ value: JSONValue) -> Bool {
        if case .string(let s) = value, s.hasPrefix("$secret:") { return true }
        return false
    }
}

import BatonJSON

/// Reads the effective configuration by dotted key (`agent.max_attempts`). Every default lives in
/// `ConfigSchema` alone (SPEC §4.6): a value that is missing, or of the wrong type (a settings
/// struct built from a partial object in a test), reads as the schema's default, so no settings
/// struct or call site restates one. Asking for a key the schema gives no default is a
/// programming error, caught by the first test that reads it.
public struct ConfigReader: Sendable {
    public let effective: JSONValue

    public init(_ effective: JSONValue) { self.effective = effective }

    /// The configured value, else the schema's default, else nil.
    public func value(_ key: String) -> JSONValue? {
        let path = key.split(separator: ".").map(String.init)
        return effective.value(at: path) ?? ConfigSchema.defaults.value(at: path)
    }

    public func int(_ key: String) -> Int64 {
        let path = key.split(separator: ".").map(String.init)
        if let value = effective.value(at: path)?.intValue { return value }
        guard let fallback = defaultValue(key, path).intValue else { Self.noDefault(key) }
        return fallback
    }

    public func string(_ key: String) -> String {
        let path = key.split(separator: ".").map(String.init)
        if let value = effective.value(at: path)?.stringValue { return value }
        guard let fallback = defaultValue(key, path).stringValue else { Self.noDefault(key) }
        return fallback
    }

    public func bool(_ key: String) -> Bool {
        let path = key.split(separator: ".").map(String.init)
        if let value = effective.value(at: path)?.boolValue { return value }
        guard let fallback = defaultValue(key, path).boolValue else { Self.noDefault(key) }
        return fallback
    }

    public func double(_ key: String) -> Double {
        let path = key.split(separator: ".").map(String.init)
        if let value = effective.value(at: path)?.doubleValue { return value }
        guard let fallback = defaultValue(key, path).doubleValue else { Self.noDefault(key) }
        return fallback
    }

    public func strings(_ key: String) -> [String] {
        let path = key.split(separator: ".").map(String.init)
        if let items = effective.value(at: path)?.arrayValue { return items.compactMap(\.stringValue) }
        guard let fallback = defaultValue(key, path).arrayValue else { Self.noDefault(key) }
        return fallback.compactMap(\.stringValue)
    }

    /// A key without a default (`agent.model`, `budget.daily_limit_usd`): nil when not set.
    public func optionalString(_ key: String) -> String? {
        effective.value(at: key.split(separator: ".").map(String.init))?.stringValue
    }

    public func optionalDouble(_ key: String) -> Double? {
        effective.value(at: key.split(separator: ".").map(String.init))?.doubleValue
    }

    private func defaultValue(_ key: String, _ path: [String]) -> JSONValue {
        guard let fallback = ConfigSchema.defaults.value(at: path) else { Self.noDefault(key) }
        return fallback
    }

    private static func noDefault(_ key: String) -> Never {
        preconditionFailure("config key \(key) has no default in ConfigSchema")
    }
}

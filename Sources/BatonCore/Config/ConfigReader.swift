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
        let path = Self.path(key)
        return effective.value(at: path) ?? ConfigSchema.defaults.value(at: path)
    }

    public func int(_ key: String) -> Int64 { read(key, \.intValue) }
    public func string(_ key: String) -> String { read(key, \.stringValue) }
    public func bool(_ key: String) -> Bool { read(key, \.boolValue) }
    public func double(_ key: String) -> Double { read(key, \.doubleValue) }
    public func strings(_ key: String) -> [String] { read(key, \.arrayValue).compactMap(\.stringValue) }

    /// A key without a default (`agent.model`, `budget.daily_limit_usd`): nil when not set.
    public func optionalString(_ key: String) -> String? { effective.value(at: Self.path(key))?.stringValue }
    public func optionalDouble(_ key: String) -> Double? { effective.value(at: Self.path(key))?.doubleValue }

    private func read<T>(_ key: String, _ typed: (JSONValue) -> T?) -> T {
        let path = Self.path(key)
        if let value = effective.value(at: path).flatMap(typed) { return value }
        guard let fallback = ConfigSchema.defaults.value(at: path).flatMap(typed) else {
            preconditionFailure("config key \(key) has no default of that type in ConfigSchema")
        }
        return fallback
    }

    private static func path(_ key: String) -> [String] { key.split(separator: ".").map(String.init) }
}

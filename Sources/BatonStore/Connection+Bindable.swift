// Overloads taking any `SQLBindable`, so callers can pass Swift values (`[id, name]`) as well as
// `SQLValue` literals (`[42, "x", nil]`, which pick the `[SQLValue]` forms).
extension Connection {
    public func execute(_ sql: String, _ bindings: [any SQLBindable]) throws {
        try execute(sql, bindings.map(\.sqlValue))
    }

    public func query(_ sql: String, _ bindings: [any SQLBindable]) throws -> [Row] {
        try query(sql, bindings.map(\.sqlValue))
    }

    public func queryOne(_ sql: String, _ bindings: [any SQLBindable]) throws -> Row? {
        try queryOne(sql, bindings.map(\.sqlValue))
    }

    public func scalar(_ sql: String, _ bindings: [any SQLBindable]) throws -> SQLValue? {
        try scalar(sql, bindings.map(\.sqlValue))
    }
}

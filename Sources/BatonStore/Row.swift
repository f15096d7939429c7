/// Column names of a result, shared by all of its rows.
@usableFromInline final class RowLayout: Sendable {
    @usableFromInline let columns: [String]
    @usableFromInline let indexByName: [String: Int]

    init(columns: [String]) {
        self.columns = columns
        var index: [String: Int] = [:]
        // The first column wins when a result has duplicate names, as in most SQLite wrappers.
        for (i, name) in columns.enumerated() where index[name] == nil { index[name] = i }
        indexByName = index
    }
}

/// One result row, fully copied out of SQLite (no pointers into a statement). Values are read by
/// column name: a SELECT names (or aliases) what it reads, so its column order does not matter.
public struct Row: Sendable, Hashable {
    @usableFromInline let layout: RowLayout
    /// The values in column order. Internal: outside BatonStore a row is read by name only.
    @usableFromInline let values: [SQLValue]

    init(layout: RowLayout, values: [SQLValue]) {
        self.layout = layout
        self.values = values
    }

    @inlinable public var columns: [String] { layout.columns }
    public var count: Int { values.count }

    public func contains(_ column: String) -> Bool { layout.indexByName[column] != nil }

    /// The value of the named column; `.null` when the result has no such column.
    public subscript(column: String) -> SQLValue {
        guard let i = layout.indexByName[column] else { return .null }
        return values[i]
    }

    public func int(_ column: String) -> Int? { self[column].intValue }
    public func int64(_ column: String) -> Int64? { self[column].int64Value }
    public func double(_ column: String) -> Double? { self[column].doubleValue }
    public func string(_ column: String) -> String? { self[column].stringValue }
    public func blob(_ column: String) -> [UInt8]? { self[column].blobValue }
    public func bool(_ column: String) -> Bool? { self[column].boolValue }
    public func isNull(_ column: String) -> Bool { self[column].isNull }

    /// The named column's value as a `T`. Throws `RowDecodingError` when the result has no such
    /// column, the value is NULL, or it is not a `T` (e.g. text where an integer was expected).
    /// Inlinable, so each caller gets it specialised for its `T` (no generic metadata look-ups
    /// per column on the hot read paths).
    @inlinable public func decode<T: SQLDecodable>(_ column: String, as type: T.Type = T.self) throws(RowDecodingError)
        -> T
    {
        guard let value = try decodeIfPresent(column, as: type) else {
            throw RowDecodingError(column: column, expected: T.sqlTypeName, problem: .null, columns: columns)
        }
        return value
    }

    /// The named column's value as a `T`, nil when it is NULL. Throws `RowDecodingError` when the
    /// result has no such column or the value is not a `T`.
    @inlinable public func decodeIfPresent<T: SQLDecodable>(_ column: String, as type: T.Type = T.self)
        throws(RowDecodingError)
        -> T?
    {
        guard let i = layout.indexByName[column] else {
            throw RowDecodingError(column: column, expected: T.sqlTypeName, problem: .noSuchColumn, columns: columns)
        }
        let value = values[i]
        if value.isNull { return nil }
        guard let decoded = T(sqlValue: value) else {
            throw RowDecodingError(
                column: column, expected: T.sqlTypeName, problem: .wrongType(found: value.storageClass),
                columns: columns)
        }
        return decoded
    }

    public static func == (a: Row, b: Row) -> Bool {
        a.layout.columns == b.layout.columns && a.values == b.values
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(layout.columns)
        hasher.combine(values)
    }
}

extension Row: CustomStringConvertible {
    public var description: String {
        "[" + zip(columns, values).map { "\($0): \($1)" }.joined(separator: ", ") + "]"
    }
}

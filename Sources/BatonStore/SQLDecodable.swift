/// A Swift value a column decodes into (`Row.decode`); the counterpart of `SQLBindable`.
public protocol SQLDecodable {
    /// The value from a non-NULL SQLite value; nil when it is of another type.
    init?(sqlValue: SQLValue)
    /// What an error calls the expected type.
    static var sqlTypeName: String { get }
}

// The conversions are those of `SQLValue`'s accessors (`int64Value`, `stringValue`, …), so a
// decoded value is what the optional accessors would have given.
extension Int64: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        guard let v = sqlValue.int64Value else { return nil }
        self = v
    }
    public static var sqlTypeName: String { "an integer" }
}

extension Int: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        guard let v = sqlValue.intValue else { return nil }
        self = v
    }
    public static var sqlTypeName: String { "an integer" }
}

extension Double: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        guard let v = sqlValue.doubleValue else { return nil }
        self = v
    }
    public static var sqlTypeName: String { "a number" }
}

extension String: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        guard let v = sqlValue.stringValue else { return nil }
        self = v
    }
    public static var sqlTypeName: String { "text" }
}

extension Bool: SQLDecodable {
    /// Non-zero integers are true, as in SQLite.
    public init?(sqlValue: SQLValue) {
        guard let v = sqlValue.boolValue else { return nil }
        self = v
    }
    public static var sqlTypeName: String { "a boolean (integer)" }
}

extension Array: SQLDecodable where Element == UInt8 {
    public init?(sqlValue: SQLValue) {
        guard let v = sqlValue.blobValue else { return nil }
        self = v
    }
    public static var sqlTypeName: String { "a blob" }
}

extension SQLValue {
    /// The storage class's name, as SQLite's `typeof()` gives it.
    @usableFromInline var storageClass: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        }
    }
}

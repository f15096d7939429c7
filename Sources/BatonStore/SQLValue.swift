/// One SQLite value, in SQLite's own five storage classes.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension SQLValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension SQLValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension SQLValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}

extension SQLValue: ExpressibleByBooleanLiteral {
    // SQLite has no boolean type; it stores 1 and 0.
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}

extension SQLValue {
    public var isNull: Bool { self == .null }

    /// The value as an Int when it is an integer, or a real with an exact integer value.
    public var int64Value: Int64? {
        switch self {
        case .integer(let v): return v
        case .real(let d): return Int64(exactly: d)
        default: return nil
        }
    }

    public var intValue: Int? { int64Value.flatMap { Int(exactly: $0) } }

    public var doubleValue: Double? {
        switch self {
        case .integer(let v): return Double(v)
        case .real(let d): return d
        default: return nil
        }
    }

    public var stringValue: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    public var blobValue: [UInt8]? {
        if case .blob(let b) = self { return b }
        return nil
    }

    /// Non-zero integers are true, as in SQLite.
    public var boolValue: Bool? { int64Value.map { $0 != 0 } }
}

extension SQLValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .integer(let v): return String(v)
        case .real(let d): return String(d)
        case .text(let s): return "'" + s.flatMap { $0 == "'" ? "''" : String($0) } + "'"
        case .blob(let b): return "X'" + b.map { hexByte($0) }.joined() + "'"
        }
    }
}

func hexByte(_ byte: UInt8) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
}

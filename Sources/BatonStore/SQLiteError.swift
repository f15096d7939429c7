import CSQLite

/// An error reported by SQLite, with its result codes and the statement that failed.
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The primary result code (e.g. `SQLiteError.constraint`).
    public var code: Int32
    /// The extended result code (e.g. `SQLiteError.constraintUnique`); equals `code` when none.
    public var extendedCode: Int32
    public var message: String
    public var sql: String?

    public init(code: Int32, extendedCode: Int32? = nil, message: String, sql: String? = nil) {
        self.code = code & 0xff
        self.extendedCode = extendedCode ?? code
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " (in: \(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql))" }
        return text
    }

    public var isConstraintViolation: Bool { code == Self.constraint }
    public var isBusy: Bool { code == Self.busy || code == Self.locked }

    // Named codes so callers need not import CSQLite.
    public static let error: Int32 = SQLITE_ERROR
    public static let busy: Int32 = SQLITE_BUSY
    public static let locked: Int32 = SQLITE_LOCKED
    public static let readOnly: Int32 = SQLITE_READONLY
    public static let constraint: Int32 = SQLITE_CONSTRAINT
    public static let mismatch: Int32 = SQLITE_MISMATCH
    public static let misuse: Int32 = SQLITE_MISUSE
    public static let range: Int32 = SQLITE_RANGE
    public static let cantOpen: Int32 = SQLITE_CANTOPEN
    public static let constraintUnique: Int32 = 2067  // SQLITE_CONSTRAINT_UNIQUE
    public static let constraintPrimaryKey: Int32 = 1555  // SQLITE_CONSTRAINT_PRIMARYKEY
    public static let constraintForeignKey: Int32 = 787  // SQLITE_CONSTRAINT_FOREIGNKEY
    public static let constraintNotNull: Int32 = 1299  // SQLITE_CONSTRAINT_NOTNULL
    public static let constraintCheck: Int32 = 275  // SQLITE_CONSTRAINT_CHECK
}

extension SQLiteError {
    /// Reads the connection's last error; `code` is what the failing call returned.
    init(code: Int32, handle: OpaquePointer?, sql: String?) {
        let message: String
        let extended: Int32
        if let handle {
            message = String(cString: sqlite3_errmsg(handle))
            extended = sqlite3_extended_errcode(handle)
        } else {
            message = String(cString: sqlite3_errstr(code))
            extended = code
        }
        // sqlite3_extended_errcode may describe a later call; trust it only if it agrees.
        self.init(
            code: code, extendedCode: (extended & 0xff) == (code & 0xff) ? extended : code,
            message: message, sql: sql)
    }
}

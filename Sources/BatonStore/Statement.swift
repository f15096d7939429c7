import CSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// A prepared statement owned by one connection. Internal, so the raw handle never leaves the module.
final class Statement {
    let handle: OpaquePointer
    let sql: String
    private let db: OpaquePointer
    /// The layout of the last run's rows, reused while the column names stay the same.
    private var layoutCache: RowLayout?
    /// Moves on whenever the statement is reset, so a `RowView` lent for one row cannot read another.
    private(set) var rowGeneration: UInt64 = 0

    /// Prepares exactly one statement. Returns nil when `sql` holds no statement (blank or only
    /// comments); throws when it holds more than one, since the rest would be silently ignored.
    static func prepare(_ sql: String, db: OpaquePointer, persistent: Bool) throws -> Statement? {
        var handle: OpaquePointer?
        let flags = UInt32(persistent ? SQLITE_PREPARE_PERSISTENT : 0)
        try sql.withCString { start in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v3(db, start, -1, flags, &handle, &tail)
            guard rc == SQLITE_OK else { throw SQLiteError(code: rc, handle: db, sql: sql) }
            guard let tail, tail.pointee != 0 else { return }
            // Preparing the tail tells a harmless remainder (spaces, comments) from a second statement.
            var extra: OpaquePointer?
            let tailRC = sqlite3_prepare_v2(db, tail, -1, &extra, nil)
            sqlite3_finalize(extra)
            if tailRC != SQLITE_OK || extra != nil {
                sqlite3_finalize(handle)
                handle = nil
                throw SQLiteError(
                    code: SQLITE_MISUSE,
                    message: "more than one SQL statement given; use executeScript for scripts",
                    sql: sql)
            }
        }
        guard let handle else { return nil }
        return Statement(handle: handle, sql: sql, db: db)
    }

    private init(handle: OpaquePointer, sql: String, db: OpaquePointer) {
        self.handle = handle
        self.sql = sql
        self.db = db
    }

    deinit { sqlite3_finalize(handle) }

    enum Collect {
        /// Step to the end, keeping no rows (statements run for their effect).
        case none
        /// Stop after the first row.
        case first
        case all
    }

    /// Runs the statement with `bindings`, and always leaves it reset with bindings cleared so the
    /// cache can hand it out again.
    func run(_ bindings: [SQLValue], collect: Collect) throws -> [Row] {
        defer { reset() }
        try bind(bindings)
        var rows: [Row] = []
        var layout: RowLayout?
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw SQLiteError(code: rc, handle: db, sql: sql) }
            if collect == .none { continue }
            let rowLayout = layout ?? currentLayout()
            layout = rowLayout
            rows.append(Row(layout: rowLayout, values: currentValues()))
            if collect == .first { break }
        }
        return rows
    }

    /// Runs the statement with `bindings` up to its first row and lends that row to `body` in
    /// place (nil, and `body` not called, when there is none); then resets it like `run`.
    func withFirstRow<T>(_ bindings: [SQLValue], _ body: (RowView) throws -> T) throws -> T? {
        defer { reset() }
        try bind(bindings)
        let rc = sqlite3_step(handle)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw SQLiteError(code: rc, handle: db, sql: sql) }
        return try body(RowView(statement: self, generation: rowGeneration))
    }

    private func reset() {
        rowGeneration &+= 1
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// One of SQLite's counters for this statement (`SQLITE_STMTSTATUS_*`) since it was last
    /// taken, starting it over.
    func takeStatus(_ counter: Int32) -> Int {
        Int(sqlite3_stmt_status(handle, counter, 1))
    }

    private func bind(_ values: [SQLValue]) throws {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == values.count else {
            throw SQLiteError(
                code: SQLITE_RANGE,
                message: "statement has \(expected) parameter(s) but \(values.count) value(s) were given",
                sql: sql)
        }
        for (offset, value) in values.enumerated() {
            let rc = bind(value, at: Int32(offset + 1))
            guard rc == SQLITE_OK else { throw SQLiteError(code: rc, handle: db, sql: sql) }
        }
    }

    private func bind(_ value: SQLValue, at index: Int32) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(handle, index)
        case .integer(let v):
            return sqlite3_bind_int64(handle, index, v)
        case .real(let d):
            return sqlite3_bind_double(handle, index, d)
        case .text(var s):
            // Explicit byte length so texts with NUL characters survive; SQLite copies the bytes.
            return s.withUTF8 { utf8 in
                guard let base = utf8.baseAddress, !utf8.isEmpty else {
                    return sqlite3_bind_text(handle, index, "", 0, baton_sqlite_transient())
                }
                return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                    sqlite3_bind_text64(
                        handle, index, $0, UInt64(utf8.count), baton_sqlite_transient(),
                        UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            // A nil pointer would bind NULL, so an empty blob is bound as a zero-length blob.
            guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(handle, index, 0) }
            return bytes.withUnsafeBytes {
                sqlite3_bind_blob64(
                    handle, index, $0.baseAddress, UInt64($0.count), baton_sqlite_transient())
            }
        }
    }

    /// Building a layout (a name index) per query was a measurable share of every write; the names
    /// are compared on each run instead, since a schema change re-prepares and may change them.
    private func currentLayout() -> RowLayout {
        let count = Int(sqlite3_column_count(handle))
        if let cached = layoutCache, cached.columns.count == count,
            cached.columns.indices.allSatisfy({ i in
                guard let name = sqlite3_column_name(handle, Int32(i)) else { return cached.columns[i].isEmpty }
                return cached.columns[i].withCString { strcmp($0, name) == 0 }
            })
        {
            return cached
        }
        let fresh = RowLayout(columns: columnNames())
        layoutCache = fresh
        return fresh
    }

    private func columnNames() -> [String] {
        (0..<sqlite3_column_count(handle)).map { i in
            sqlite3_column_name(handle, i).map { String(cString: $0) } ?? ""
        }
    }

    private func currentValues() -> [SQLValue] {
        (0..<sqlite3_column_count(handle)).map(value(at:))
    }

    func value(at i: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, i))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, i))
        case SQLITE_TEXT:
            // Pointer first, then byte count, as SQLite's documentation requires.
            guard let text = sqlite3_column_text(handle, i) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, i))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            guard let blob = sqlite3_column_blob(handle, i) else { return .blob([]) }
            let count = Int(sqlite3_column_bytes(handle, i))
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: count)))
        default:
            return .null
        }
    }
}

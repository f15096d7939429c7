import CSQLite

/// One SQLite connection, used by one thread at a time: the database hands it to `read`/`write`
/// closures on its own threads, or lends an inline one to the calling thread for `keyedRead`
/// (`InlineReaders`), and it is deliberately not Sendable so it cannot leave them.
public final class Connection {
    private var handle: OpaquePointer?
    private let cache: StatementCache
    /// Kept alive for the WAL hook, which holds it unretained.
    private var walHook: CheckpointSignal?
    private var updateHook: RowChanges?
    /// Where each statement's time goes when profiling is on (the writer's, see `StatementProfile`).
    let profile: StatementProfile?
    /// Statements compiled so far (cache misses); lets tests and metrics see the cache working.
    public private(set) var statementsPrepared = 0

    struct Options {
        var readOnly: Bool
        var create: Bool
        var busyTimeoutMs: Int
        var statementCacheSize: Int
        var profile: StatementProfile? = nil
    }

    init(path: String, options: Options) throws {
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        if options.create { flags |= SQLITE_OPEN_CREATE }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let error = SQLiteError(code: rc, handle: db, sql: nil)
            sqlite3_close_v2(db)
            throw SQLiteError(
                code: error.code, extendedCode: error.extendedCode,
                message: "cannot open \(path): \(error.message)")
        }
        handle = db
        cache = StatementCache(capacity: options.statementCacheSize)
        profile = options.profile
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Int32(clamping: options.busyTimeoutMs))
        // Per-connection settings; journal_mode and synchronous are set by the writer.
        try execute("PRAGMA foreign_keys = ON")
        if options.readOnly { try execute("PRAGMA query_only = ON") }
    }

    deinit { close() }

    /// Finalizes cached statements and closes the handle; later calls throw `DatabaseError.closed`.
    func close() {
        cache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    private func openHandle() throws -> OpaquePointer {
        guard let handle else { throw DatabaseError.closed }
        return handle
    }

    private func cachedStatement(_ sql: String) throws -> Statement? {
        let db = try openHandle()
        return try cache.statement(for: sql) {
            statementsPrepared += 1
            return try Statement.prepare(sql, db: db, persistent: true)
        }
    }

    /// Runs one statement; any rows it returns are ignored.
    public func execute(_ sql: String, _ bindings: [SQLValue] = []) throws {
        _ = try run(sql, bindings, collect: .none)
    }

    private func run(_ sql: String, _ bindings: [SQLValue], collect: Statement.Collect) throws -> [Row] {
        guard let statement = try cachedStatement(sql) else { return [] }
        guard let profile, let handle else { return try statement.run(bindings, collect: collect) }
        let changesBefore = sqlite3_total_changes64(handle)
        let start = StatementProfile.now()
        var returned = 0
        defer {
            let elapsed = StatementProfile.now() - start
            profile.record(
                sql, nanoseconds: elapsed, rowsReturned: returned,
                rowsChanged: Int(sqlite3_total_changes64(handle) - changesBefore),
                fullScanSteps: statement.takeStatus(SQLITE_STMTSTATUS_FULLSCAN_STEP),
                vmSteps: statement.takeStatus(SQLITE_STMTSTATUS_VM_STEP))
        }
        let rows = try statement.run(bindings, collect: collect)
        returned = rows.count
        return rows
    }

    /// Runs every statement in `sql` in order (migrations, schema scripts). Not cached; no bindings.
    public func executeScript(_ sql: String) throws {
        let db = try openHandle()
        try sql.withCString { start in
            var cursor: UnsafePointer<CChar>? = start
            while let current = cursor, current.pointee != 0 {
                var raw: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let rc = sqlite3_prepare_v2(db, current, -1, &raw, &tail)
                guard rc == SQLITE_OK else {
                    throw SQLiteError(code: rc, handle: db, sql: String(cString: current))
                }
                defer { sqlite3_finalize(raw) }
                cursor = tail
                guard let raw else { continue }  // only whitespace or comments
                var step = sqlite3_step(raw)
                while step == SQLITE_ROW { step = sqlite3_step(raw) }
                guard step == SQLITE_DONE else {
                    throw SQLiteError(code: step, handle: db, sql: String(cString: sqlite3_sql(raw)))
                }
            }
        }
    }

    /// Runs `body` with BEGIN, COMMIT and ROLLBACK refused at prepare time (`SQLiteError` with
    /// code `SQLITE_AUTH`), so a script cannot end the transaction it runs in. Savepoints stay
    /// allowed. Setting an authorizer expires cached statements, so use it around rare work only.
    func withoutTransactionControl<T>(_ body: () throws -> T) throws -> T {
        let db = try openHandle()
        sqlite3_set_authorizer(
            db,
            { _, action, _, _, _, _ in action == SQLITE_TRANSACTION ? SQLITE_DENY : SQLITE_OK },
            nil)
        defer { sqlite3_set_authorizer(db, nil, nil) }
        return try body()
    }

    public func query(_ sql: String, _ bindings: [SQLValue] = []) throws -> [Row] {
        try run(sql, bindings, collect: .all)
    }

    /// The first row, or nil; later rows are not computed.
    public func queryOne(_ sql: String, _ bindings: [SQLValue] = []) throws -> Row? {
        try run(sql, bindings, collect: .first).first
    }

    /// Lends the first row to `body` in place (`RowView`), nil when there is none: for a hot
    /// read that writes its answer from the columns without building a `Row` first.
    public func withFirstRow<T>(_ sql: String, _ bindings: [SQLValue] = [], _ body: (RowView) throws -> T) throws
        -> T?
    {
        try cachedStatement(sql)?.withFirstRow(bindings, body) ?? nil
    }

    /// The first column of the first row, or nil when there is no row.
    public func scalar(_ sql: String, _ bindings: [SQLValue] = []) throws -> SQLValue? {
        try queryOne(sql, bindings).map { $0.values.first ?? .null }
    }

    public var lastInsertRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }

    /// Bytes of heap this connection's page cache holds now.
    public var cacheBytes: Int {
        guard let handle else { return 0 }
        var current: Int32 = 0
        var highwater: Int32 = 0
        guard sqlite3_db_status(handle, SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0) == SQLITE_OK else {
            return 0
        }
        return Int(current)
    }

    /// Gives the pages this connection caches back to the heap (they are read again when needed).
    public func releaseMemory() {
        if let handle { _ = sqlite3_db_release_memory(handle) }
    }

    /// True while a transaction is open on this connection.
    public var isInTransaction: Bool { handle.map { sqlite3_get_autocommit($0) == 0 } ?? false }

    var cachedStatementCount: Int { cache.count }

    /// Calls `signal` after every commit with the number of pages in the WAL. Installing it
    /// turns SQLite's auto-checkpoint off on this connection (it is a WAL hook too).
    func setWALHook(_ signal: CheckpointSignal) throws {
        let db = try openHandle()
        walHook = signal
        sqlite3_wal_hook(
            db,
            { context, _, _, pages in
                if let context {
                    Unmanaged<CheckpointSignal>.fromOpaque(context).takeUnretainedValue().walCommitted(
                        pages: Int(pages))
                }
                return SQLITE_OK
            }, Unmanaged.passUnretained(signal).toOpaque())
    }
}

extension Connection {
    /// Reports every row this connection inserts, updates or deletes to `changes` (SQLite's
    /// update hook), so watchers of a table learn which rows changed.
    func setUpdateHook(_ changes: RowChanges) throws {
        let db = try openHandle()
        updateHook = changes
        sqlite3_update_hook(
            db,
            { context, _, _, table, rowid in
                guard let context, let table else { return }
                Unmanaged<RowChanges>.fromOpaque(context).takeUnretainedValue().record(table: table, rowid: rowid)
            }, Unmanaged.passUnretained(changes).toOpaque())
    }
}

// Explicitly not Sendable: a connection belongs to the thread that opened it.
@available(*, unavailable)
extension Connection: Sendable {}

import CSQLite

/// Applies migrations on the write connection: checks first, then one transaction per migration.
enum Migrator {
    static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """

    /// Refuses invalid and duplicate versions before touching the database; returns them sorted.
    static func validate(_ migrations: [Migration]) throws -> [Migration] {
        var byVersion: [Int: [String]] = [:]
        for migration in migrations {
            guard migration.version > 0 else {
                throw MigrationError.invalidVersion(version: migration.version, name: migration.name)
            }
            byVersion[migration.version, default: []].append(migration.label)
        }
        if let duplicate = byVersion.filter({ $0.value.count > 1 }).min(by: { $0.key < $1.key }) {
            throw MigrationError.duplicateVersion(version: duplicate.key, names: duplicate.value)
        }
        return migrations.sorted { $0.version < $1.version }
    }

    static func migrate(_ migrations: [Migration], on connection: Connection) throws
        -> MigrationReport
    {
        try connection.execute(createTable)
        let recorded = try applied(on: connection)
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        // Refuse before applying anything, so a refused run changes nothing.
        for entry in recorded {
            guard let migration = known[entry.version] else {
                throw MigrationError.unknownVersion(version: entry.version, name: entry.name)
            }
            guard migration.checksum == entry.checksum else {
                throw MigrationError.checksumMismatch(
                    version: entry.version, name: entry.name, recorded: entry.checksum,
                    expected: migration.checksum)
            }
        }
        let done = Set(recorded.map(\.version))
        var newlyApplied: [AppliedMigration] = []
        for migration in migrations where !done.contains(migration.version) {
            newlyApplied.append(try apply(migration, on: connection))
        }
        return MigrationReport(applied: newlyApplied, alreadyApplied: recorded)
    }

    /// One migration and its `schema_migrations` row in one transaction: all or nothing.
    private static func apply(_ migration: Migration, on connection: Connection) throws
        -> AppliedMigration
    {
        // PRAGMA foreign_keys is a no-op inside a transaction: switch it before BEGIN, back after.
        let foreignKeysOff = migration.rebuildsReferencedTables
        if foreignKeysOff { try connection.execute("PRAGMA foreign_keys = OFF") }
        defer { if foreignKeysOff { try? connection.execute("PRAGMA foreign_keys = ON") } }
        do {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.withoutTransactionControl { try connection.executeScript(migration.sql) }
            } catch let error as SQLiteError where error.code == SQLITE_AUTH {
                throw MigrationError.managesTransaction(version: migration.version, name: migration.name)
            }
            if foreignKeysOff, let broken = try connection.queryOne("PRAGMA foreign_key_check") {
                throw SQLiteError(
                    code: SQLiteError.error,
                    message: "foreign key check failed after the rebuild: a row of \(broken.string("table") ?? "?") "
                        + "refers to a missing row of \(broken.string("parent") ?? "?")")
            }
            try connection.execute(
                """
                INSERT INTO schema_migrations (version, name, checksum, applied_at)
                VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                """,
                [migration.version, migration.name, migration.checksum])
            let appliedAt = try connection.scalar(
                "SELECT applied_at FROM schema_migrations WHERE version = ?1", [migration.version])
            try connection.execute("COMMIT")
            return AppliedMigration(
                version: migration.version, name: migration.name, checksum: migration.checksum,
                appliedAt: appliedAt?.stringValue ?? "")
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
            if let error = error as? MigrationError { throw error }
            let sqliteError =
                error as? SQLiteError
                ?? SQLiteError(code: SQLiteError.error, message: String(describing: error))
            throw MigrationError.failed(
                version: migration.version, name: migration.name, error: sqliteError)
        }
    }

    /// Recorded migrations in version order; empty when the table does not exist yet.
    static func applied(on connection: Connection) throws -> [AppliedMigration] {
        let exists = try connection.scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
        guard exists?.intValue == 1 else { return [] }
        return try connection.query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
        ).map { row in
            AppliedMigration(
                version: row.int("version") ?? 0, name: row.string("name") ?? "",
                checksum: row.string("checksum") ?? "", appliedAt: row.string("applied_at") ?? "")
        }
    }
}

extension Database {
    /// Applies every migration not yet recorded in `schema_migrations`, in version order, each in
    /// its own transaction. Refuses (applying nothing) on duplicate or invalid versions, on an
    /// applied migration whose SQL changed, and on a recorded version this binary does not know.
    /// Idempotent. Runs alone on the writer; blocks the caller (start-up and CLI code).
    public func migrate(_ migrations: [Migration]) throws -> MigrationReport {
        let ordered = try Migrator.validate(migrations)
        return try exclusiveBlocking { try Migrator.migrate(ordered, on: $0) }
    }

    /// `migrate` for async callers; does not block a cooperative thread.
    public func migrate(_ migrations: [Migration]) async throws -> MigrationReport {
        let ordered = try Migrator.validate(migrations)
        return try await exclusive { try Migrator.migrate(ordered, on: $0) }
    }

    /// The migrations recorded in the database, in version order.
    public func appliedMigrations() throws -> [AppliedMigration] {
        try readBlocking { try Migrator.applied(on: $0) }
    }

    /// `appliedMigrations` for async callers.
    public func appliedMigrations() async throws -> [AppliedMigration] {
        try await read { try Migrator.applied(on: $0) }
    }
}

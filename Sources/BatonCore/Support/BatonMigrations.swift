import BatonStore

/// The schema migrations this binary carries (`Migrations/*.sql`, embedded at build time).
public enum BatonMigrations {
    public static func all() throws -> [Migration] {
        try EmbeddedResources.migrations.map { try Migration(fileName: $0.name, sql: $0.sql) }
    }
}

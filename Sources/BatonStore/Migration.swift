import BatonCrypto

/// One numbered schema change, normally the file `Migrations/NNNN_name.sql` carried in the binary.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// A migration whose first line is `-- baton: foreign-keys-off` rebuilds tables that others
    /// reference: it runs with foreign keys off and must leave `foreign_key_check` clean.
    public var rebuildsReferencedTables: Bool { sql.hasPrefix("-- baton: foreign-keys-off\n") }

    /// Parses `0001_create_events.sql` (or a path ending in it) into version 1, name
    /// `create_events`. Throws `MigrationError.invalidFileName` for anything else.
    public init(fileName: String, sql: String) throws {
        let base =
            fileName.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        guard base.hasSuffix(".sql") else { throw MigrationError.invalidFileName(fileName) }
        let stem = base.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_") else {
            throw MigrationError.invalidFileName(fileName)
        }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCII),
            digits.allSatisfy(\.isNumber),
            let version = Int(digits), version > 0,
            !name.isEmpty,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else { throw MigrationError.invalidFileName(fileName) }
        self.init(version: version, name: String(name), sql: sql)
    }

    /// Hex SHA-256 of the SQL text: recorded when applied, compared on every later start.
    public var checksum: String { Hex.encode(SHA256Digest.hash(Array(sql.utf8))) }

    /// `0001_create_events`, as in the file name.
    public var label: String { Migration.label(version: version, name: name) }

    static func label(version: Int, name: String) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name
    }
}

/// A migration recorded in `schema_migrations`.
public struct AppliedMigration: Sendable, Hashable {
    public let version: Int
    public let name: String
    /// Hex SHA-256 of the SQL that was applied.
    public let checksum: String
    /// RFC 3339 UTC with milliseconds, e.g. `2025-01-31T09:15:02.123Z`.
    public let appliedAt: String

    public init(version: Int, name: String, checksum: String, appliedAt: String) {
        self.version = version
        self.name = name
        self.checksum = checksum
        self.appliedAt = appliedAt
    }
}

/// What `Database.migrate` did.
public struct MigrationReport: Sendable, Hashable {
    /// Migrations applied by this call, in order.
    public let applied: [AppliedMigration]
    /// Migrations that were already applied before this call, in order.
    public let alreadyApplied: [AppliedMigration]

    /// The schema version now in the database (0 when there are no migrations).
    public var currentVersion: Int { (alreadyApplied + applied).map(\.version).max() ?? 0 }
}

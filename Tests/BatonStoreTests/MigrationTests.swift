import Foundation
import Testing

@testable import BatonStore

@Suite struct MigrationTests {
    static let createEvents = try! Migration(
        fileName: "0001_create_events.sql",
        sql: "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL);")
    static let addPayload = try! Migration(
        fileName: "0002_add_payload.sql", sql: "ALTER TABLE events ADD COLUMN payload TEXT;")
    static let createJobs = try! Migration(
        fileName: "0003_create_jobs.sql", sql: "CREATE TABLE jobs (id INTEGER PRIMARY KEY);")

    @Test func fileNamesParse() throws {
        let m = try Migration(fileName: "0001_create_events.sql", sql: "")
        #expect(m.version == 1 && m.name == "create_events" && m.label == "0001_create_events")
        let nested = try Migration(fileName: "Migrations/0012_add-index.sql", sql: "")
        #expect(nested.version == 12 && nested.name == "add-index")
    }

    @Test(arguments: [
        "create_events.sql", "0001create_events.sql", "0001_.sql", "abcd_x.sql", "0001_x.txt",
        "0000_x.sql", "0001_x.sql.bak", "-001_x.sql", "0001_has space.sql", "",
    ])
    func badFileNamesAreRefused(name: String) {
        #expect(throws: MigrationError.invalidFileName(name)) { try Migration(fileName: name, sql: "") }
    }

    @Test func appliesInVersionOrderAndRecordsThem() async throws {
        try await withDatabase { db, _ in
            // Given out of order: 0002 needs the table 0001 creates.
            let report = try await db.migrate([Self.addPayload, Self.createEvents])
            #expect(report.applied.map(\.version) == [1, 2])
            #expect(report.alreadyApplied.isEmpty && report.currentVersion == 2)
            let recorded = try await db.appliedMigrations()
            #expect(recorded == report.applied)
            #expect(recorded.map(\.name) == ["create_events", "add_payload"])
            #expect(recorded[0].checksum == Self.createEvents.checksum && recorded[0].checksum.count == 64)
            let timestamp = try Regex(#"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#)
            #expect(recorded.allSatisfy { $0.appliedAt.wholeMatch(of: timestamp) != nil })
            let columns = try await db.read {
                try $0.query("PRAGMA table_info(events)").compactMap { $0.string("name") }
            }
            #expect(columns == ["id", "kind", "payload"])
        }
    }

    @Test func secondRunIsANoOpAndNewMigrationsApply() async throws {
        try await withDatabase { db, _ in
            _ = try await db.migrate([Self.createEvents, Self.addPayload])
            let again = try await db.migrate([Self.createEvents, Self.addPayload])
            #expect(again.applied.isEmpty && again.alreadyApplied.map(\.version) == [1, 2])
            let more = try await db.migrate([Self.createEvents, Self.addPayload, Self.createJobs])
            #expect(more.applied.map(\.version) == [3] && more.alreadyApplied.count == 2)
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await withDatabase { db, _ in
            let bad = Migration(
                version: 2, name: "bad",
                sql: "CREATE TABLE half (x INTEGER);\nINSERT INTO missing VALUES (1);")
            await #expect {
                try await db.migrate([Self.createEvents, bad, Self.createJobs])
            } throws: { error in
                guard case .failed(2, "bad", let sqlite) = error as? MigrationError else { return false }
                return sqlite.message.contains("no such table: missing")
                    && String(describing: error).contains("0002_bad")
            }
            let tables = try await db.read {
                try $0.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                    .compactMap { $0.string("name") }
            }
            #expect(tables == ["events", "schema_migrations"])
            #expect(try await db.appliedMigrations().map(\.version) == [1])
        }
    }

    static let parentAndChild = Migration(
        version: 1, name: "parent_child",
        sql: """
            CREATE TABLE parent (id INTEGER PRIMARY KEY, kind TEXT CHECK (kind IN ('a', 'b')));
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id));
            INSERT INTO parent VALUES (1, 'a'), (2, 'b');
            INSERT INTO child VALUES (10, 1), (11, 2);
            """)

    /// The 0006 pattern: a referenced table rebuilt under `-- baton: foreign-keys-off`.
    @Test func aReferencedTableIsRebuiltWithForeignKeysOffAndOnAgainAfter() async throws {
        try await withDatabase { db, _ in
            let rebuild = Migration(
                version: 2, name: "rebuild_parent",
                sql: """
                    -- baton: foreign-keys-off
                    CREATE TABLE parent_new (id INTEGER PRIMARY KEY, kind TEXT CHECK (kind = 'a' OR kind = 'b'));
                    INSERT INTO parent_new SELECT * FROM parent;
                    DROP TABLE parent;
                    ALTER TABLE parent_new RENAME TO parent;
                    """)
            #expect(rebuild.rebuildsReferencedTables)
            #expect(!Self.parentAndChild.rebuildsReferencedTables)
            _ = try await db.migrate([Self.parentAndChild, rebuild])
            let (kinds, schema) = try await db.read { conn in
                (
                    try conn.query("SELECT kind FROM parent ORDER BY id").compactMap { $0.string("kind") },
                    try conn.scalar("SELECT sql FROM sqlite_master WHERE name = 'parent'")?.stringValue ?? ""
                )
            }
            #expect(kinds == ["a", "b"])
            #expect(schema.contains("kind = 'a' OR kind = 'b'"))
            // Foreign keys are enforced again on the writer afterwards.
            await #expect(throws: SQLiteError.self) {
                try await db.write { conn in try conn.execute("INSERT INTO child VALUES (12, 99)") }
            }
        }
    }

    @Test func aRebuildThatBreaksAReferenceIsRolledBack() async throws {
        try await withDatabase { db, _ in
            let lossy = Migration(
                version: 2, name: "lossy_rebuild",
                sql: """
                    -- baton: foreign-keys-off
                    CREATE TABLE parent_new (id INTEGER PRIMARY KEY, kind TEXT);
                    INSERT INTO parent_new SELECT * FROM parent WHERE id = 1;
                    DROP TABLE parent;
                    ALTER TABLE parent_new RENAME TO parent;
                    """)
            await #expect {
                try await db.migrate([Self.parentAndChild, lossy])
            } throws: { error in
                guard case .failed(2, "lossy_rebuild", let sqlite) = error as? MigrationError else { return false }
                return sqlite.message.contains("foreign key check failed")
                    && sqlite.message.contains("a row of child refers to a missing row of parent")
            }
            #expect(try await db.appliedMigrations().map(\.version) == [1])
            let parents = try await db.read { try $0.scalar("SELECT count(*) FROM parent")?.intValue }
            #expect(parents == 2)
        }
    }

    @Test func migrationsMayNotEndTheirTransaction() async throws {
        try await withDatabase { db, _ async throws in
            let sneaky = Migration(version: 1, name: "sneaky", sql: "CREATE TABLE x (a); COMMIT;")
            await #expect(throws: MigrationError.managesTransaction(version: 1, name: "sneaky")) {
                try await db.migrate([sneaky])
            }
            #expect(try await db.ints("SELECT count(*) FROM sqlite_master WHERE name = 'x'") == [0])
            #expect(try await db.appliedMigrations().isEmpty)
        }
    }

    @Test func anEditedMigrationIsRefused() async throws {
        try await withDatabase { db, _ in
            _ = try await db.migrate([Self.createEvents])
            let edited = Migration(version: 1, name: "create_events", sql: Self.createEvents.sql + " -- edited")
            await #expect {
                try await db.migrate([edited, Self.addPayload])
            } throws: { error in
                guard case .checksumMismatch(1, "create_events", let recorded, let expected) = error as? MigrationError
                else { return false }
                return recorded == Self.createEvents.checksum && expected == edited.checksum
            }
            #expect(try await db.appliedMigrations().map(\.version) == [1])  // 0002 not applied
        }
    }

    @Test func aVersionFromANewerBatonIsRefused() async throws {
        try await withDatabase { db, _ in
            _ = try await db.migrate([Self.createEvents, Self.addPayload])
            await #expect(throws: MigrationError.unknownVersion(version: 2, name: "add_payload")) {
                try await db.migrate([Self.createEvents])
            }
        }
    }

    @Test func duplicateAndInvalidVersionsAreRefusedBeforeTouchingTheDatabase() async throws {
        try await withDatabase { db, _ async throws in
            let twin = Migration(version: 1, name: "twin", sql: "CREATE TABLE twin (x);")
            await #expect(
                throws: MigrationError.duplicateVersion(version: 1, names: ["0001_create_events", "0001_twin"])
            ) {
                try await db.migrate([Self.createEvents, twin])
            }
            await #expect(throws: MigrationError.invalidVersion(version: 0, name: "zero")) {
                try await db.migrate([Migration(version: 0, name: "zero", sql: "")])
            }
            #expect(try await db.ints("SELECT count(*) FROM sqlite_master") == [0])
        }
    }

    @Test func blockingMigrateWorksFromAPlainThread() async throws {
        try await withDatabase { db, _ in
            let (report, applied) = try await onDedicatedThread {
                (try db.migrate([Self.createEvents]), try db.appliedMigrations())
            }
            #expect(report.applied.map(\.version) == [1] && applied == report.applied)
        }
    }

    @Test func migrationsSurviveReopen() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/db.sqlite"
            let db = try Database(path: path)
            _ = try await db.migrate([Self.createEvents])
            await db.close()
            let reopened = try Database(path: path)
            let report = try await reopened.migrate([Self.createEvents, Self.addPayload])
            await reopened.close()
            #expect(report.alreadyApplied.map(\.version) == [1] && report.applied.map(\.version) == [2])
        }
    }
}

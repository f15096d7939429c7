import BatonJSON
import BatonStore
import BatonTestSupport
import Testing

@testable import BatonCore

/// `baton audit prune` underneath (SPEC §1.4): a pruned chain still verifies from its anchor,
/// and nothing after the anchor can be deleted.
@Suite struct AuditLogPruneTests {
    static let day: Int64 = 86_400_000

    /// `count` entries written `daysAgo` days ago, oldest first.
    static func write(_ db: Database, count: Int, daysAgo: Int64, action: String) throws {
        let at = Timestamp.format(milliseconds: Timestamp.nowMilliseconds() - daysAgo * day)
        try db.writeBlocking { conn in
            for n in 0..<count {
                _ = try AuditLog.insert(
                    AuditDraft(tenant: "acme", actor: .system, action: action, target: "t/\(n)"), into: conn, at: at)
            }
        }
    }

    static func ids(_ db: Database) throws -> [Int64] {
        try db.readBlocking { conn in try conn.query("SELECT id FROM audit ORDER BY id").compactMap { $0.int64("id") } }
    }

    /// Every row of the audit tables as text: to show a refused prune changed nothing.
    static func snapshot(_ db: Database) throws -> [String] {
        try db.readBlocking { conn in
            try (conn.query("SELECT * FROM audit ORDER BY id") + conn.query("SELECT * FROM audit_anchor")).map { row in
                row.columns.map { "\($0)=\(row[$0])" }.joined(separator: ",")
            }
        }
    }

    static var tenDaysAgo: String { Timestamp.format(milliseconds: Timestamp.nowMilliseconds() - 10 * day) }

    @Test func aPrunedChainVerifiesFromItsAnchorAndGrowsOn() async throws {
        try await AuditLogTests.withAudit { db, audit, _ in
            try Self.write(db, count: 5, daysAgo: 40, action: "old")
            try Self.write(db, count: 3, daysAgo: 1, action: "recent")
            let fifth = try #require(try db.readBlocking { try $0.scalar("SELECT hash FROM audit WHERE id = 5") })
            let result = try await offPool { try audit.prune(before: Self.tenDaysAgo, batch: 2) }
            #expect(result.removed == 5)
            #expect(result.anchor?.lastID == 5 && result.anchor?.lastHash == fifth.stringValue)
            #expect(try Self.ids(db) == [6, 7, 8])
            #expect(try audit.verify() == .intact(entries: 3))
            let next = try await audit.append(AuditDraft(tenant: nil, actor: .system, action: "later", target: "x"))
            #expect(next.id == 9)
            #expect(try audit.verify() == .intact(entries: 4))
            // Nothing older is left: a second prune removes nothing and keeps the anchor.
            let again = try await offPool { try audit.prune(before: Self.tenDaysAgo) }
            #expect(again.removed == 0 && again.anchor?.lastID == 5)
        }
    }

    /// A verify and a prune at once (the soak found it: an operator's cron prune while someone
    /// verifies): the prune removes entries the verify has not reached and moves the anchor over
    /// them. The verify reads the anchor again at the gap and goes on; without that it reported
    /// the removed entries as missing.
    @Test(arguments: [1, 3])
    func aVerifyDuringAPruneGoesOnFromTheMovedAnchor(pruneAfterBatch: Int) async throws {
        try await AuditLogTests.withAudit { db, audit, _ in
            try Self.write(db, count: 10, daysAgo: 40, action: "old")
            try Self.write(db, count: 4, daysAgo: 1, action: "recent")
            let (verdict, removed) = try await offPool { () -> (AuditLog.Verification, Int?) in
                var batches = 0
                var removed: Int?
                let verdict = try audit.verify(batch: 2) {
                    batches += 1
                    if batches == pruneAfterBatch {
                        removed = try audit.prune(before: Self.tenDaysAgo, batch: 3).removed
                    }
                }
                return (verdict, removed)
            }
            #expect(removed == 10)
            #expect(try Self.ids(db) == [11, 12, 13, 14])
            guard case .intact = verdict else {
                Issue.record("a verify beside a prune reported \(verdict)")
                return
            }
            #expect(try audit.verify() == .intact(entries: 4))
        }
    }

    @Test func entriesAfterTheAnchorStillCannotBeDeleted() async throws {
        try await AuditLogTests.withAudit { db, audit, _ in
            try Self.write(db, count: 2, daysAgo: 40, action: "old")
            try Self.write(db, count: 2, daysAgo: 1, action: "recent")
            _ = try await offPool { try audit.prune(before: Self.tenDaysAgo) }
            #expect(throws: SQLiteError.self) {
                try db.writeBlocking { try $0.execute("DELETE FROM audit WHERE id = 3") }
            }
            #expect(throws: SQLiteError.self) {
                try db.writeBlocking { try $0.execute("UPDATE audit_anchor SET last_id = 1") }
            }
            #expect(throws: SQLiteError.self) { try db.writeBlocking { try $0.execute("DELETE FROM audit_anchor") } }
            // Moving the anchor forward by hand does not help either: the first entry kept must
            // then link to the hash recorded, and verify says which one does not.
            try db.writeBlocking { try $0.execute("UPDATE audit_anchor SET last_id = 3") }
            try db.writeBlocking { try $0.execute("DELETE FROM audit WHERE id = 3") }
            #expect(
                try audit.verify()
                    == .broken(entryID: 4, reason: "its link to the previous entry does not match"))
            // With the protection off the same deletion goes through: the trigger is what refuses it.
            try db.writeBlocking { try $0.execute("DROP TRIGGER audit_no_delete") }
            try db.writeBlocking { try $0.execute("DELETE FROM audit WHERE id = 4") }
            #expect(try Self.ids(db).isEmpty)
        }
    }

    @Test func pruningEverythingKeepsTheChainGoingFromTheAnchor() async throws {
        try await AuditLogTests.withAudit { db, audit, _ in
            try Self.write(db, count: 4, daysAgo: 40, action: "old")
            let result = try await offPool { try audit.prune(before: Timestamp.now()) }
            #expect(result.removed == 4)
            #expect(try Self.ids(db).isEmpty)
            #expect(try audit.verify() == .intact(entries: 0))
            let next = try await audit.append(AuditDraft(tenant: nil, actor: .system, action: "after", target: "x"))
            #expect(next.id == 5 && next.prevHash == result.anchor?.lastHash)
            #expect(try audit.verify() == .intact(entries: 1))
        }
    }

    @Test func aBrokenChainIsNotPruned() async throws {
        try await AuditLogTests.withAudit { db, audit, _ in
            try Self.write(db, count: 4, daysAgo: 40, action: "old")
            try db.writeBlocking { conn in
                try conn.execute("DROP TRIGGER audit_no_update")
                try conn.execute("UPDATE audit SET target = 'edited' WHERE id = 2")
            }
            let before = try Self.snapshot(db)
            #expect(throws: AuditLog.PruneError.broken(entryID: 2, reason: "its content does not match its hash")) {
                _ = try audit.prune(before: Timestamp.now())
            }
            #expect(try Self.snapshot(db) == before)
        }
    }

    @Test func anInterruptedPruneVerifiesAndFinishesNextTime() async throws {
        try await AuditLogTests.withAudit { db, audit, _ in
            try Self.write(db, count: 3, daysAgo: 40, action: "old")
            try Self.write(db, count: 2, daysAgo: 1, action: "recent")
            // The anchor was recorded, then the process died before any row was deleted.
            try db.writeBlocking { conn in
                try conn.execute(
                    """
                    INSERT INTO audit_anchor (id, last_id, last_hash, last_at, pruned_at, pruned_before)
                    SELECT 1, id, hash, at, at, at FROM audit WHERE id = 3
                    """)
            }
            #expect(try audit.verify() == .intact(entries: 2))
            let result = try await offPool { try audit.prune(before: Self.tenDaysAgo) }
            #expect(result.removed == 3)
            #expect(try Self.ids(db) == [4, 5])
            #expect(try audit.verify() == .intact(entries: 2))
        }
    }
}

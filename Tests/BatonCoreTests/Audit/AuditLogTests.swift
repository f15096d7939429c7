import BatonJSON
import BatonStore
import BatonTestSupport
import Dispatch
import Glibc
import Synchronization
import Testing

@testable import BatonCore

@Suite struct AuditLogTests {
    static func withAudit(_ body: (Database, AuditLog, EventBus) async throws -> Void) async throws {
        try await EventBusTests.withBus { db, bus in try await body(db, AuditLog(database: db, events: bus), bus) }
    }

    /// How many appenders have called in.
    final class CalledIn: Sendable {
        let count = Atomic<Int>(0)
    }

    static let alice = Principal(keyID: "aaaaaaaa", name: "alice", role: .admin, tenant: "acme")

    @Test func entriesChainAndVerify() async throws {
        try await Self.withAudit { _, audit, _ in
            let a = try await audit.append(
                AuditDraft(tenant: "acme", actor: .key(Self.alice), action: "POST /x", target: "/x", status: 201))
            let b = try await audit.append(
                AuditDraft(tenant: nil, actor: .system, action: "job.requeued", target: "jobs/7"))
            #expect(a.id == 1 && b.id == 2)
            #expect(a.prevHash == AuditLog.genesisHash)
            #expect(b.prevHash == a.hash)
            #expect(a.actor == "key:aaaaaaaa" && a.actorName == "alice")
            #expect(try audit.verify() == .intact(entries: 2))
        }
    }

    @Test func concurrentAppendsFormOneChain() async throws {
        try await Self.withAudit { _, audit, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<100 {
                    group.addTask {
                        _ = try await audit.append(
                            AuditDraft(tenant: "t", actor: .system, action: "a\(i)", target: "x"))
                    }
                }
                try await group.waitForAll()
            }
            #expect(try audit.verify() == .intact(entries: 100))
        }
    }

    /// Appends that arrive together share one write; each caller still gets its own entry, and
    /// the ids it is given are the ones stored.
    @Test func concurrentAppendersEachGetTheirOwnEntry() async throws {
        try await Self.withAudit { db, audit, _ in
            let before = db.statistics.writes
            // Keep the writer busy while the appends arrive, as a loaded server's would be: it is
            // held until every appender has called in and the audit's write is queued behind it.
            let (held, holding) = AsyncStream<Void>.makeStream()
            let gate = DispatchSemaphore(value: 0)
            // Released by the test once the appends are queued, however long a busy pool takes to
            // start fifty tasks; the bound only ends a hang, and the defer a test that left early.
            let blocker = Task {
                try await db.write { _ in
                    holding.yield()
                    return gate.wait(timeout: .now() + 120) == .timedOut
                }
            }
            defer { gate.signal() }
            for await _ in held { break }
            let calledIn = CalledIn()
            let appends = Task {
                try await withThrowingTaskGroup(of: AuditEntry.self) { group in
                    for i in 0..<50 {
                        group.addTask {
                            calledIn.count.add(1, ordering: .relaxed)
                            return try await audit.append(
                                AuditDraft(tenant: "t", actor: .system, action: "b\(i)", target: "y"))
                        }
                    }
                    return try await group.reduce(into: [AuditEntry]()) { $0.append($1) }
                }
            }
            #expect(
                await eventually { calledIn.count.load(ordering: .relaxed) == 50 && db.statistics.queuedWrites >= 1 })
            gate.signal()
            let entries = try await appends.value
            #expect(Set(entries.map(\.id)).count == 50)
            #expect(Set(entries.map(\.action)).count == 50)
            let stored = try await db.read { conn in
                try conn.query("SELECT id, action FROM audit").map { ($0.int64("id") ?? 0, $0.string("action") ?? "") }
            }
            #expect(
                Dictionary(uniqueKeysWithValues: stored)
                    == Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0.action) }))
            #expect(try await blocker.value == false, "the writer was let go before the appends were queued")
            // The blocker plus a few drains, not one write per entry.
            #expect(db.statistics.writes - before <= 6, "writes: \(db.statistics.writes - before)")
        }
    }

    @Test func anAppendAfterTheDatabaseClosedFails() async throws {
        try await Self.withAudit { db, audit, _ in
            await db.close()
            await #expect(throws: (any Error).self) {
                try await audit.append(AuditDraft(tenant: "t", actor: .system, action: "late", target: "z"))
            }
        }
    }

    @Test func theDatabaseRefusesEditsAndDeletes() async throws {
        try await Self.withAudit { db, audit, _ in
            try await audit.append(AuditDraft(tenant: "t", actor: .system, action: "a", target: "x"))
            await #expect(throws: SQLiteError.self) {
                try await db.write { try $0.execute("UPDATE audit SET actor = 'mallory'") }
            }
            await #expect(throws: SQLiteError.self) { try await db.write { try $0.execute("DELETE FROM audit") } }
            #expect(try audit.verify() == .intact(entries: 1))
        }
    }

    @Test func anEditAroundTheTriggersIsFound() async throws {
        try await Self.withAudit { db, audit, _ in
            for i in 0..<3 {
                try await audit.append(AuditDraft(tenant: "t", actor: .system, action: "a\(i)", target: "x"))
            }
            try await db.write { conn in
                try conn.execute("DROP TRIGGER audit_no_update")
                try conn.execute("UPDATE audit SET diff = '{\"body\":\"forged\"}' WHERE id = 2")
            }
            #expect(try audit.verify() == .broken(entryID: 2, reason: "its content does not match its hash"))
        }
    }

    /// A coalesced entry's count is covered by its hash: raising or lowering it (to 1 as well)
    /// breaks the chain; entries of one request keep the hash they had before counts existed.
    @Test func theCountIsCoveredByTheHash() async throws {
        try await Self.withAudit { db, audit, _ in
            let single = try await audit.append(AuditDraft(tenant: nil, actor: .anonymous, action: "a", target: "x"))
            let many = try await audit.append(
                AuditDraft(tenant: nil, actor: .anonymous, action: "a", target: "x", count: 250))
            #expect(single.count == 1 && many.count == 250)
            #expect(!single.canonicalContent.contains("count") && many.canonicalContent.contains(#""count":250"#))
            #expect(try audit.verify() == .intact(entries: 2))
            let listed = try await audit.list(.init(), limit: 10, offset: 0).entries
            #expect(listed.map(\.count) == [250, 1])
            #expect(listed[0].json["count"] == 250)
            try await db.write { conn in
                try conn.execute("DROP TRIGGER audit_no_update")
                try conn.execute("UPDATE audit SET count = 1 WHERE id = 2")
            }
            #expect(try audit.verify() == .broken(entryID: 2, reason: "its content does not match its hash"))
            try await db.write { conn in
                try conn.execute("UPDATE audit SET count = 250 WHERE id = 2")
                try conn.execute("UPDATE audit SET count = 2 WHERE id = 1")
            }
            #expect(try audit.verify() == .broken(entryID: 1, reason: "its content does not match its hash"))
        }
    }

    @Test func aRemovedEntryIsFound() async throws {
        try await Self.withAudit { db, audit, _ in
            for i in 0..<3 {
                try await audit.append(AuditDraft(tenant: "t", actor: .system, action: "a\(i)", target: "x"))
            }
            try await db.write { conn in
                try conn.execute("DROP TRIGGER audit_no_delete")
                try conn.execute("DELETE FROM audit WHERE id = 2")
            }
            #expect(try audit.verify() == .broken(entryID: 3, reason: "entries 2…2 are missing"))
        }
    }

    @Test func eachEntryIsAnnouncedAsAnEvent() async throws {
        try await Self.withAudit { _, audit, bus in
            let stream = try await bus.subscribe(after: nil, filter: EventFilter(types: ["audit.*"]))
            let entry = try await audit.append(
                AuditDraft(tenant: "acme", actor: .system, action: "issue.update", target: "ENG-1"))
            let event = await EventBusTests.take(1, from: stream).first
            #expect(event?.type == "audit.appended")
            #expect(event?.tenant == "acme")
            #expect(try JSONParser.parse(event?.data ?? "")["audit_id"] == .int(entry.id))
        }
    }

    @Test func listFiltersAndPaginatesNewestFirst() async throws {
        try await Self.withAudit { _, audit, _ in
            for i in 0..<5 {
                try await audit.append(
                    AuditDraft(tenant: i % 2 == 0 ? "a" : "b", actor: .system, action: "act\(i % 2)", target: "t\(i)"))
            }
            let (entries, total) = try await audit.list(.init(tenant: "a"), limit: 2, offset: 0)
            #expect(total == 3)
            #expect(entries.map(\.target) == ["t4", "t2"])
            let (byTarget, n) = try await audit.list(.init(tenant: "a", target: "t0"), limit: 50, offset: 0)
            #expect(n == 1 && byTarget.first?.target == "t0")
            let (none, zero) = try await audit.list(
                .init(tenant: "a", since: "2999-01-01T00:00:00.000Z"), limit: 50, offset: 0)
            #expect(none.isEmpty && zero == 0)
        }
    }

    /// The hand-written canonical form must stay byte-identical to the generic serialiser's, or
    /// existing chains would stop verifying.
    @Test func canonicalContentMatchesTheGenericSerialiser() {
        let entries = [
            AuditEntry(
                id: 1, at: "2026-12-01T00:00:00.000Z", tenant: "acme", actor: "key:aaaaaaaa", actorName: "alice",
                action: "POST /api/jobs", target: "/api/jobs", requestID: "r1", source: "127.0.0.1", status: 201,
                diff: #"{"prompt":"say \"hi\"\n"}"#, prevHash: AuditLog.genesisHash, hash: ""),
            AuditEntry(
                id: 9_007_199_254_740_993, at: "t", tenant: nil, actor: "system", actorName: nil, action: "é ✓ 🚀",
                target: "\u{01}\u{2028}", requestID: nil, source: nil, status: nil, diff: "", prevHash: "p", hash: "h"),
            AuditEntry(
                id: 3, at: "t", tenant: nil, actor: "anonymous", actorName: nil, action: "POST /api/jobs",
                target: "/api/jobs", requestID: nil, source: "10.0.0.1", status: 401, diff: "{}", prevHash: "p",
                hash: "h", count: 9950),
        ]
        for e in entries {
            var fields: [String: JSONValue] = [
                "id": .int(e.id), "at": .string(e.at), "tenant": e.tenant.map(JSONValue.string) ?? .null,
                "actor": .string(e.actor), "actor_name": e.actorName.map(JSONValue.string) ?? .null,
                "action": .string(e.action), "target": .string(e.target),
                "request_id": e.requestID.map(JSONValue.string) ?? .null,
                "source": e.source.map(JSONValue.string) ?? .null, "status": e.status.map { .int(Int64($0)) } ?? .null,
                "diff": .string(e.diff), "prev_hash": .string(e.prevHash),
            ]
            // `count` is a field when it is not 1, so older entries hash as they always did.
            if e.count != 1 { fields["count"] = .int(Int64(e.count)) }
            #expect(e.canonicalContent == JSONValue.object(fields).text)
        }
    }
}

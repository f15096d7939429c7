import BatonJSON
import BatonStore
import BatonTestSupport
import Synchronization
import Testing

@testable import BatonCore

/// Anonymous and refused requests: the first of each source's interval at once, the rest as one
/// counted entry per interval, on a clock the test moves.
@Suite struct AuditCoalescerTests {
    final class FakeClock: Sendable {
        private let seconds = Mutex<Double>(1000)
        var now: Double { seconds.withLock { $0 } }
        func advance(_ by: Double) { seconds.withLock { $0 += by } }
    }

    static func withCoalescer(
        interval: Double = 60, maxSources: Int = 1024,
        _ body: (Database, AuditLog, AuditCoalescer, FakeClock) async throws -> Void
    ) async throws {
        try await AuditLogTests.withAudit { db, audit, _ in
            let clock = FakeClock()
            let coalescer = AuditCoalescer(
                audit: audit, interval: interval, maxSources: maxSources, clock: { clock.now })
            try await body(db, audit, coalescer, clock)
            await coalescer.stop()
        }
    }

    static func refused(_ action: String = "POST /api/jobs", status: Int = 401, target: String = "/api/jobs")
        -> AuditDraft
    {
        AuditDraft(
            tenant: nil, actor: .anonymous, action: action, target: target, requestID: "r", source: "10.0.0.1:5000",
            status: status, diff: ["body_bytes": 10, "reason": "unauthorized"])
    }

    static func rows(_ db: Database) async throws -> [AuditEntry] {
        try await db.read { conn in try conn.query("SELECT * FROM audit ORDER BY id").compactMap(AuditLog.entry(from:))
        }
    }

    @Test func theFirstIsAnEntryAtOnceAndTheRestOneCountedEntryWhenTheIntervalEnds() async throws {
        try await Self.withCoalescer { db, audit, coalescer, clock in
            await coalescer.record(Self.refused(), source: "10.0.0.1", bodyBytes: 10)
            #expect(try await Self.rows(db).count == 1)
            for i in 0..<500 {
                await coalescer.record(
                    Self.refused(status: i % 5 == 0 ? 429 : 401), source: "10.0.0.1", bodyBytes: 10)
            }
            clock.advance(59)
            await coalescer.flushDue()
            #expect(try await Self.rows(db).count == 1)
            clock.advance(1)
            await coalescer.flushDue()
            let rows = try await Self.rows(db)
            #expect(rows.count == 2)
            #expect(rows[0].count == 1 && rows[0].requestID == "r" && rows[0].source == "10.0.0.1:5000")
            let summary = rows[1]
            #expect(summary.count == 500)
            #expect(summary.action == "POST /api/jobs" && summary.target == "/api/jobs")
            #expect(summary.status == nil && summary.requestID == nil && summary.source == "10.0.0.1")
            #expect(summary.actor == "anonymous" && summary.tenant == nil)
            let diff = try JSONParser.parse(summary.diff)
            #expect(diff["body_bytes"] == 5000)
            #expect(diff["statuses"] == ["401": 400, "429": 100])
            #expect(diff["actions"] == ["POST /api/jobs": 500])
            #expect(diff["first_at"]?.stringValue?.hasPrefix("20") == true)
            #expect(try audit.verify() == .intact(entries: 2))
        }
    }

    /// A source that keeps sending adds one entry per interval, whatever it sends; one that
    /// stops is forgotten, and its next request is an entry at once again.
    @Test func aSteadyFloodIsOneEntryPerInterval() async throws {
        try await Self.withCoalescer(interval: 10) { db, _, coalescer, clock in
            for _ in 0..<20 {
                for _ in 0..<100 { await coalescer.record(Self.refused(), source: "10.0.0.1", bodyBytes: 0) }
                clock.advance(10)
                await coalescer.flushDue()
            }
            let rows = try await Self.rows(db)
            #expect(rows.count == 21)
            #expect(rows.map(\.count).reduce(0, +) == 2000)
            clock.advance(10)
            await coalescer.flushDue()
            #expect(coalescer.trackedSources == 0)
            await coalescer.record(Self.refused(), source: "10.0.0.1", bodyBytes: 0)
            #expect(try await Self.rows(db).count == 22)
        }
    }

    /// Different actions, targets and statuses within one interval: the entry says `(mixed)` and
    /// names each action with its count, at most 16 of them.
    @Test func mixedRequestsAreSummarised() async throws {
        try await Self.withCoalescer { db, _, coalescer, clock in
            await coalescer.record(Self.refused(), source: "s", bodyBytes: 0)
            for i in 0..<40 {
                await coalescer.record(
                    Self.refused("POST /r\(i)", target: "/r\(i)?\(String(repeating: "x", count: i))"), source: "s",
                    bodyBytes: 1)
            }
            clock.advance(60)
            await coalescer.flushDue()
            let summary = try #require(try await Self.rows(db).last)
            #expect(summary.action == AuditCoalescer.mixed && summary.target == AuditCoalescer.mixed)
            #expect(summary.status == 401 && summary.count == 40)
            let actions = try #require(try JSONParser.parse(summary.diff)["actions"]?.objectValue)
            #expect(actions.count == 17 && actions["(other)"] == 24)
        }
    }

    /// Sources, tenants and actors are counted apart; beyond `maxSources` sources at once the rest
    /// share the source `*`, so the entries per interval have a bound however many sources send.
    @Test func manySourcesAreBounded() async throws {
        try await Self.withCoalescer(maxSources: 8) { db, _, coalescer, clock in
            for round in 0..<3 {
                for source in 0..<100 {
                    await coalescer.record(Self.refused(), source: "10.0.\(round).\(source)", bodyBytes: 0)
                }
            }
            // 8 sources tracked, then the overflow entry: 9 entries at once, whatever the flood.
            #expect(try await Self.rows(db).count == 9)
            #expect(coalescer.trackedSources == 9)
            clock.advance(60)
            await coalescer.flushDue()
            let rows = try await Self.rows(db)
            #expect(rows.count == 10)
            #expect(rows.last?.source == AuditCoalescer.overflowSource && rows.last?.count == 291)
            #expect(rows.map(\.count).reduce(0, +) == 300)
            let key = Principal(keyID: "aaaaaaaa", name: "ci", role: .viewer, tenant: "acme")
            var limited = Self.refused(status: 429)
            limited.tenant = "acme"
            limited.actor = .key(key)
            await coalescer.record(limited, source: "10.0.0.1", bodyBytes: 0)
            #expect(try await Self.rows(db).last?.tenant == "acme")
        }
    }

    /// Interval 0: coalescing is off, every request is an entry (still without its body).
    @Test func intervalZeroWritesEveryRequest() async throws {
        try await Self.withCoalescer(interval: 0) { db, _, coalescer, _ in
            for _ in 0..<30 { await coalescer.record(Self.refused(), source: "s", bodyBytes: 10) }
            let rows = try await Self.rows(db)
            #expect(rows.count == 30 && rows.allSatisfy { $0.count == 1 })
            #expect(coalescer.trackedSources == 0)
        }
    }

    /// At shutdown every count is written; afterwards requests are entries as they come.
    @Test func stopWritesWhatWasCounted() async throws {
        try await Self.withCoalescer { db, audit, coalescer, _ in
            for _ in 0..<7 { await coalescer.record(Self.refused(), source: "s", bodyBytes: 0) }
            await coalescer.stop()
            let stopped = try await Self.rows(db).map(\.count)
            #expect(stopped == [1, 6])
            await coalescer.record(Self.refused(), source: "s", bodyBytes: 0)
            let after = try await Self.rows(db).map(\.count)
            #expect(after == [1, 6, 1])
            #expect(try audit.verify() == .intact(entries: 3))
        }
    }

    /// On the real clock, the counted entry is written by the coalescer itself when the interval
    /// ends, with nobody calling `flushDue`, and the source is forgotten after it. (How the five
    /// split into entries depends on how long the first append took on a loaded machine; every one
    /// is written either way.)
    @Test func theIntervalEndsByItself() async throws {
        try await AuditLogTests.withAudit { db, audit, _ in
            let coalescer = AuditCoalescer(audit: audit, interval: 0.3)
            for _ in 0..<5 { await coalescer.record(Self.refused(), source: "s", bodyBytes: 0) }
            let written = await eventually(timeout: .seconds(10)) {
                (try? await Self.rows(db).map(\.count).reduce(0, +)) == 5
            }
            #expect(written)
            #expect(await eventually(timeout: .seconds(10)) { coalescer.trackedSources == 0 })
            await coalescer.stop()
        }
    }
}

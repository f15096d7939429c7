import BatonTestSupport
import Testing

@testable import BatonStore

@Suite struct StatementProfileTests {
    @Test func isOffUnlessConfigured() async throws {
        try await withDatabase { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (i INTEGER)") }
            #expect(db.writerProfile == nil)
        }
    }

    /// Each SQL text is one line: its runs, the rows it returned and changed, and the rows it
    /// stepped over in full scans, which is what tells a missing index from a used one.
    @Test func aggregatesTheWritersStatementsBySQLText() async throws {
        var configuration = DatabaseConfiguration()
        configuration.profileWriter = true
        try await withDatabase(configuration: configuration) { db, _ in
            let profile = try #require(db.writerProfile)
            let insert = "INSERT INTO t (i, j) VALUES (?1, ?1 * 2)"
            let scan = "SELECT i FROM t WHERE j = ?1"
            let seek = "SELECT j FROM t WHERE i = ?1"
            try await db.write { conn in
                try conn.execute("CREATE TABLE t (i INTEGER PRIMARY KEY, j INTEGER)")
                for i in 1...50 { try conn.execute(insert, [.integer(Int64(i))]) }
            }
            let found = try await db.write { conn in
                (
                    try conn.query(scan, [.integer(20)]).count,
                    try conn.queryOne(seek, [.integer(7)])?.int("j")
                )
            }
            #expect(found.0 == 1 && found.1 == 14)
            // Reads on reader threads are not the writer's, so they are not counted.
            _ = try await db.read { try $0.query(scan, [.integer(4)]) }

            let timings = Dictionary(uniqueKeysWithValues: profile.statements.map { ($0.sql, $0) })
            let inserts = try #require(timings[insert])
            #expect(inserts.runs == 50 && inserts.rowsChanged == 50 && inserts.rowsReturned == 0)
            let scans = try #require(timings[scan])
            #expect(scans.runs == 1 && scans.rowsReturned == 1 && scans.fullScanSteps >= 49)
            let seeks = try #require(timings[seek])
            #expect(seeks.runs == 1 && seeks.rowsReturned == 1 && seeks.fullScanSteps == 0)
            // The writer's own transaction control is profiled too, so COMMIT's cost shows.
            #expect(timings["COMMIT"].map { $0.runs >= 2 } == true)
            #expect(profile.statements.map(\.nanoseconds) == profile.statements.map(\.nanoseconds).sorted(by: >))

            let busy = profile.busy
            #expect(busy.batches >= 2 && busy.writes >= 2 && busy.nanoseconds > 0)
            #expect(busy.nanoseconds <= busy.elapsed)
            let report = profile.report(limit: 3).split(separator: "\n")
            #expect(report.count == 6 && report[0].hasPrefix("writer profile: busy "))
        }
    }

    /// A write queued behind a held writer reports at least the time it was held; without the
    /// profile nothing is stamped, so nothing is counted.
    @Test func queueWaitsCountTheTimeAWriteWaitedForItsBatch() async throws {
        var configuration = DatabaseConfiguration()
        configuration.profileWriter = true
        try await withDatabase(configuration: configuration) { db, _ in
            let profile = try #require(db.writerProfile)
            try await db.write { try $0.execute("CREATE TABLE t (i INTEGER)") }
            let before = profile.queueWaits.count
            let gate = try await WriterGate(db)
            let queued = Task { try await db.write { try $0.execute("INSERT INTO t VALUES (1)") } }
            try #require(await eventually(timeout: queueLimit) { db.statistics.queuedWrites == 1 })
            // Lets time pass while the write waits: the figure must be at least this long.
            try await Task.sleep(for: .milliseconds(50))
            try await gate.release()
            try await queued.value
            let waits = profile.queueWaits
            // The gate's own write and the queued one.
            #expect(waits.count - before == 2)
            #expect(waits.longestMicros >= 50_000)
            #expect(waits.p99BelowMicros > waits.longestMicros / 2 && waits.meanMicros > 0)
            #expect(profile.report(limit: 1).split(separator: "\n")[1].hasPrefix("writer queue: "))
        }
    }
}

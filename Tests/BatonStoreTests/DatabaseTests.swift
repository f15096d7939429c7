import BatonPlatform
import BatonTestSupport
import Foundation
import Synchronization
import Testing

@testable import BatonStore

@Suite struct DatabaseTests {
    /// The count of ended writes moves with every change the writer makes (committed or not),
    /// and only then.
    @Test func theEndedWritesCountMovesWithEveryWrite() async throws {
        struct Refused: Error {}
        try await withDatabase { db, _ in
            let start = db.writesEnded
            try await db.write { try $0.execute("CREATE TABLE t (v INTEGER)") }
            let created = db.writesEnded
            #expect(created > start)
            _ = try await db.read { try $0.scalar("SELECT count(*) FROM t") }
            _ = db.keyedReadNow { try $0.scalar("SELECT count(*) FROM t") }
            #expect(db.writesEnded == created)
            await #expect(throws: Refused.self) { try await db.write { _ in throw Refused() } }
            let refused = db.writesEnded
            #expect(refused > created)
            try await db.write { try $0.execute("INSERT INTO t VALUES (1)") }
            #expect(db.writesEnded > refused)
        }
    }

    /// Watchers hear of the rows of their table each change inserted, updated or deleted
    /// (rolled back ones too), once per change, after the ended count moved and before the
    /// writing caller resumes; other tables' rows are not reported.
    @Test func watchersHearOfTheRowsEachChangeTouched() async throws {
        struct Refused: Error {}
        try await withDatabase { db, _ in
            try await db.write { conn in
                try conn.execute("CREATE TABLE watched (id INTEGER PRIMARY KEY, v INTEGER)")
                try conn.execute("CREATE TABLE other (id INTEGER PRIMARY KEY)")
            }
            let heard = Mutex<[[Int64]]>([])
            let endedWhenHeard = Mutex<[UInt64]>([])
            db.watchRows(of: "watched") { [db] ids in
                heard.withLock { $0.append(ids) }
                endedWhenHeard.withLock { $0.append(db.writesEnded) }
            }
            try await db.write { conn in
                try conn.execute("INSERT INTO watched (id, v) VALUES (1, 0), (2, 0), (3, 0)")
                try conn.execute("INSERT INTO other (id) VALUES (1)")
            }
            #expect(heard.withLock { $0 } == [[1, 2, 3]])
            #expect(endedWhenHeard.withLock { $0 } == [db.writesEnded])
            try await db.write { try $0.execute("UPDATE watched SET v = 1 WHERE id = 2") }
            try await db.write { try $0.execute("UPDATE other SET id = 5 WHERE id = 1") }
            await #expect(throws: Refused.self) {
                try await db.write { conn in
                    try conn.execute("DELETE FROM watched WHERE id = 3")
                    throw Refused()
                }
            }
            #expect(heard.withLock { $0 } == [[1, 2, 3], [2], [3]])
            #expect(try await db.read { try $0.scalar("SELECT count(*) FROM watched") } == .integer(3))
        }
    }

    @Test func pragmasAreSet() async throws {
        try await withDatabase { db, _ in
            let pragmas =
                "SELECT * FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys, pragma_busy_timeout, pragma_query_only"
            let writer = try #require(try await db.write { try $0.queryOne(pragmas) })
            #expect(writer.values == ["wal", 1, 1, 5000, 0])
            // The writer's page cache (KiB, as a negative count), larger than SQLite's 2,000.
            #expect(try await db.write { try $0.scalar("PRAGMA cache_size")?.intValue } == -32_768)
            let reader = try #require(try await db.read { try $0.queryOne(pragmas) })
            // synchronous is per connection and irrelevant to readers, so only the writer sets it.
            #expect(
                reader.string("journal_mode") == "wal" && reader.int("foreign_keys") == 1
                    && reader.int("timeout") == 5000
                    && reader.int("query_only") == 1)
        }
    }

    /// Checkpoints run on their own connection once the WAL passes the threshold: the rows reach
    /// the main database file while the database stays open.
    @Test func backgroundCheckpointsCopyTheWALIntoTheFile() async throws {
        try await withDatabase(configuration: DatabaseConfiguration(checkpointPages: 8)) { db, path in
            func fileSize(_ p: String) -> Int {
                ((try? FileManager.default.attributesOfItem(atPath: p))?[.size] as? Int) ?? 0
            }
            try await db.write { try $0.execute("CREATE TABLE t (i INTEGER, pad TEXT)") }
            let before = fileSize(path)
            for i in 0..<40 {
                try await db.write { conn in
                    for j in 0..<10 {
                        try conn.execute(
                            "INSERT INTO t VALUES (?1, ?2)",
                            [.integer(Int64(i * 10 + j)), .text(String(repeating: "x", count: 1000))])
                    }
                }
            }
            try #require(await eventually { db.statistics.checkpoints > 0 && fileSize(path) > before + 200_000 })
            #expect(try await db.read { try $0.scalar("SELECT count(*) FROM t")?.intValue } == 400)
        }
    }

    /// A second process (`baton audit prune` beside a running server) opens the file while the
    /// first holds its write lock longer than the opener's busy timeout: opening needs no write.
    @Test func opensWhileAnotherConnectionHoldsTheWriteLock() async throws {
        try await withDatabase { db, path in
            try await db.write { try $0.execute("CREATE TABLE t (i INTEGER)") }
            #expect(try await db.read { try $0.scalar("PRAGMA auto_vacuum")?.intValue } == 2)
            let holding = ConditionLock()
            let locked = Atomic<Bool>(false)
            let release = Atomic<Bool>(false)
            let writing = Task {
                try await db.write { conn in
                    try conn.execute("INSERT INTO t VALUES (1)")
                    holding.withLock {
                        locked.store(true, ordering: .relaxed)
                        holding.broadcast()
                        while !release.load(ordering: .relaxed) { holding.wait(milliseconds: 20) }
                    }
                }
            }
            #expect(await eventually { locked.load(ordering: .relaxed) })
            let second = Result { try Database(path: path, configuration: DatabaseConfiguration(busyTimeoutMs: 100)) }
            holding.withLock {
                release.store(true, ordering: .relaxed)
                holding.broadcast()
            }
            try await writing.value
            let opened = try second.get()
            #expect(try await opened.read { try $0.scalar("SELECT count(*) FROM t")?.intValue } == 1)
            await opened.close()
        }
    }

    /// After a load, quiet connections give their page cache back to the heap, once per quiet
    /// spell (SPEC §1.3): memory falls back without anything polling.
    @Test func quietConnectionsGiveTheirPageCacheBack() async throws {
        let configuration = DatabaseConfiguration(readerCount: 1, idleReleaseMs: 300)
        try await withDatabase(configuration: configuration) { db, _ in
            let written = try await db.write { conn in
                try conn.execute("CREATE TABLE t (i INTEGER, pad TEXT)")
                for i in 0..<1500 {
                    try conn.execute(
                        "INSERT INTO t VALUES (?1, ?2)",
                        [.integer(Int64(i)), .text(String(repeating: "x", count: 1000))])
                }
                return conn.cacheBytes
            }
            let read = try await db.read { conn in
                _ = try conn.scalar("SELECT sum(length(pad)) FROM t")
                return conn.cacheBytes
            }
            #expect(written > 1_000_000)
            #expect(read > 1_000_000)
            // Polled less often than the quiet spell, so the polling itself does not keep them busy.
            let released = await eventually(interval: .milliseconds(600)) {
                let reader = (try? await db.read { $0.cacheBytes }) ?? .max
                let writer = (try? await db.write { $0.cacheBytes }) ?? .max
                return reader < 200_000 && writer < 200_000
            }
            #expect(released)
        }
    }

    /// A burst grows the WAL; once a checkpoint has copied it back, the writer's next commit
    /// starts it over and cuts the file to `walSizeLimitBytes`.
    @Test func theWALFileShrinksBackAfterABurst() async throws {
        let configuration = DatabaseConfiguration(checkpointPages: 8, walSizeLimitBytes: 65536)
        try await withDatabase(configuration: configuration) { db, path in
            func walSize() -> Int {
                ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
            }
            try await db.write { try $0.execute("CREATE TABLE t (i INTEGER, pad TEXT)") }
            // One large transaction: the WAL must hold all of it at once.
            try await db.write { conn in
                for i in 0..<2000 {
                    try conn.execute(
                        "INSERT INTO t VALUES (?1, ?2)",
                        [.integer(Int64(i)), .text(String(repeating: "x", count: 1000))])
                }
            }
            #expect(walSize() > 1_000_000)
            try #require(await eventually { db.statistics.checkpoints > 0 })
            // Small commits after the checkpoint restart the log from its start.
            #expect(
                await eventually {
                    _ = try? await db.write { try $0.execute("INSERT INTO t VALUES (0, 'small')") }
                    return walSize() <= 65536
                }, "the WAL is still \(walSize()) bytes")
        }
    }

    @Test func openingAnImpossiblePathThrows() async throws {
        #expect {
            _ = try Database(path: "/nonexistent-baton-dir/x.sqlite")
        } throws: { ($0 as? SQLiteError)?.code == SQLiteError.cantOpen }
    }

    @Test func concurrentWritersAreCommittedInGroups() async throws {
        try await withDatabase { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (i INTEGER)") }
            let gate = try await WriterGate(db)
            let before = db.statistics
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<200 {
                    group.addTask { try await db.write { try $0.execute("INSERT INTO t VALUES (?1)", [i]) } }
                }
                try #require(await eventually(timeout: queueLimit) { db.statistics.queuedWrites == 200 })
                try await gate.release()
                try await group.waitForAll()
            }
            let after = db.statistics
            #expect(try await db.ints("SELECT count(DISTINCT i) FROM t") == [200])
            // The gate's own commit, then 200 writes in batches of 64, 64, 64 and 8.
            #expect(after.commits - before.commits == 5)
            #expect(after.writes - before.writes == 201)
            #expect(after.failedBatches == before.failedBatches)
        }
    }

    @Test func aThrowingClosureRollsBackOnlyItself() async throws {
        try await withDatabase { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (i INTEGER)") }
            let gate = try await WriterGate(db)
            let before = db.statistics
            let a = Task { try await db.write { try $0.execute("INSERT INTO t VALUES (1)") } }
            try #require(await eventually(timeout: queueLimit) { db.statistics.queuedWrites == 1 })
            let b = Task {
                try await db.write { c in
                    try c.execute("INSERT INTO t VALUES (2)")
                    throw Boom()
                }
            }
            try #require(await eventually(timeout: queueLimit) { db.statistics.queuedWrites == 2 })
            let c = Task { try await db.write { try $0.execute("INSERT INTO t VALUES (3)") } }
            try #require(await eventually(timeout: queueLimit) { db.statistics.queuedWrites == 3 })
            try await gate.release()
            try await a.value
            await #expect(throws: Boom.self) { try await b.value }
            try await c.value
            #expect(try await db.ints("SELECT i FROM t ORDER BY i") == [1, 3])
            #expect(db.statistics.commits - before.commits == 2)  // the gate's, then one for a, b, c
        }
    }

    @Test func aFailedCommitFailsEveryCallerInTheBatch() async throws {
        try await withDatabase { db, _ in
            try await db.write { c in
                try c.executeScript(
                    """
                    CREATE TABLE parent (id INTEGER PRIMARY KEY);
                    CREATE TABLE child (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
                    """)
            }
            let gate = try await WriterGate(db)
            let before = db.statistics
            let good = Task { try await db.write { try $0.execute("INSERT INTO parent VALUES (1)") } }
            try #require(await eventually(timeout: queueLimit) { db.statistics.queuedWrites == 1 })
            // A deferred foreign key is only checked at COMMIT, so this fails the whole batch.
            let bad = Task { try await db.write { try $0.execute("INSERT INTO child VALUES (99)") } }
            try #require(await eventually(timeout: queueLimit) { db.statistics.queuedWrites == 2 })
            try await gate.release()
            for task in [good, bad] {
                await #expect {
                    try await task.value
                } throws: { ($0 as? SQLiteError)?.extendedCode == SQLiteError.constraintForeignKey }
            }
            #expect(try await db.ints("SELECT count(*) FROM parent") == [0])
            #expect(db.statistics.failedBatches - before.failedBatches == 1)
            // The writer carries on.
            try await db.write { try $0.execute("INSERT INTO parent VALUES (2)") }
            #expect(try await db.ints("SELECT id FROM parent") == [2])
        }
    }

    @Test func readersSeeCommittedDataWhileAWriteIsInProgress() async throws {
        try await withDatabase { db, _ in
            try await db.write { c in
                try c.execute("CREATE TABLE t (i INTEGER)")
                try c.execute("INSERT INTO t VALUES (1)")
            }
            let (started, startedContinuation) = AsyncStream<Void>.makeStream()
            let release = DispatchSemaphore(value: 0)
            // Held until the read below is done, however long a busy pool takes to run it (the
            // write committing first would show the read its row): `holdLimit` only ends a hang.
            defer { release.signal() }
            let longWrite = Task {
                try await db.write { c in
                    try c.execute("INSERT INTO t VALUES (2)")
                    startedContinuation.yield()
                    return release.wait(timeout: .now() + holdLimit) == .success
                }
            }
            for await _ in started { break }
            // The writer is blocked mid-transaction; the read still completes, without its row.
            #expect(try await db.ints("SELECT i FROM t ORDER BY i") == [1])
            release.signal()
            #expect(try await longWrite.value, "the write let go on its own before the read ended")
            #expect(try await db.ints("SELECT i FROM t ORDER BY i") == [1, 2])
        }
    }

    @Test func aReadSeesOneSnapshotWhileWritesCommit() async throws {
        try await withDatabase { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (i INTEGER)") }
            let (started, startedContinuation) = AsyncStream<Void>.makeStream()
            let written = DispatchSemaphore(value: 0)
            let reading = Task {
                try await db.read { c in
                    let first = try c.scalar("SELECT count(*) FROM t")
                    startedContinuation.yield()
                    // However long a busy pool takes to resume this test and run the write.
                    let committed = written.wait(timeout: .now() + holdLimit) == .success
                    return (first, committed, try c.scalar("SELECT count(*) FROM t"))
                }
            }
            defer { written.signal() }
            for await _ in started { break }
            // The writer is not held back by the open read.
            try await db.write { try $0.execute("INSERT INTO t VALUES (1)") }
            written.signal()
            let (first, committed, second) = try await reading.value
            #expect(committed && first == .integer(0) && second == .integer(0))
            #expect(try await db.ints("SELECT count(*) FROM t") == [1])
        }
    }

    @Test func readsRunInParallel() async throws {
        try await withDatabase { db, _ in
            let a = DispatchSemaphore(value: 0)
            let b = DispatchSemaphore(value: 0)
            // Each read waits for the other to start: they only both succeed if they overlap. The
            // second may be submitted long after the first starts when the pool is busy, so the
            // wait is bounded only to end a hang (the reads overlapping is what is checked).
            async let first = db.read { _ in
                a.signal()
                return b.wait(timeout: .now() + holdLimit) == .success
            }
            async let second = db.read { _ in
                b.signal()
                return a.wait(timeout: .now() + holdLimit) == .success
            }
            let (x, y) = try await (first, second)
            #expect(x && y)
        }
    }

    @Test func readersCannotWrite() async throws {
        try await withDatabase { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (i INTEGER)") }
            await #expect {
                try await db.read { try $0.execute("INSERT INTO t VALUES (1)") }
            } throws: { ($0 as? SQLiteError)?.code == SQLiteError.readOnly }
        }
    }

    @Test func blockingCallsWorkFromOtherThreads() async throws {
        try await withDatabase { db, _ in
            let count = try await onDedicatedThread {
                try db.writeBlocking { c in
                    try c.execute("CREATE TABLE t (i INTEGER)")
                    try c.execute("INSERT INTO t VALUES (1)")
                }
                return try db.readBlocking { try $0.scalar("SELECT count(*) FROM t") }
            }
            #expect(count == .integer(1))
        }
    }

    @Test func blockingCallsInsideClosuresAreRefused() async throws {
        try await withDatabase { db, _ in
            await #expect(throws: DatabaseError.reentrantCall) {
                try await db.write { _ in try db.readBlocking { _ in 1 } }
            }
            await #expect(throws: DatabaseError.reentrantCall) {
                try await db.read { _ in try db.writeBlocking { _ in 1 } }
            }
        }
    }

    @Test func dataSurvivesCloseAndReopen() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/db.sqlite"
            let db = try Database(path: path)
            try await db.write { c in
                try c.execute("CREATE TABLE t (s TEXT)")
                try c.execute("INSERT INTO t VALUES (?1)", ["kept"])
            }
            await db.close()
            // The TRUNCATE checkpoint left the WAL empty: everything is in the main file.
            let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
            #expect(walSize == 0)
            let reopened = try Database(path: path)
            let value = try await reopened.read { try $0.scalar("SELECT s FROM t") }
            await reopened.close()
            #expect(value == .text("kept"))
        }
    }

    @Test func droppingAnUnclosedDatabaseKeepsItsData() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/db.sqlite"
            do {
                let db = try Database(path: path)
                try await db.write { c in
                    try c.execute("CREATE TABLE t (i INTEGER)")
                    try c.execute("INSERT INTO t VALUES (1)")
                }
            }  // deinit: threads finish and close on their own
            let reopened = try Database(path: path)
            #expect(try await reopened.ints("SELECT i FROM t") == [1])
            await reopened.close()
        }
    }

    @Test func closeFinishesQueuedWritesThenRefusesWork() async throws {
        try await withDatabase { db, path in
            try await db.write { try $0.execute("CREATE TABLE t (i INTEGER)") }
            let gate = try await WriterGate(db)
            let writes = (0..<5).map { i in
                Task { try await db.write { try $0.execute("INSERT INTO t VALUES (?1)", [i]) } }
            }
            try #require(await eventually(timeout: queueLimit) { db.statistics.queuedWrites == 5 })
            let closing = Task { await db.close() }
            try #require(await eventually(timeout: queueLimit) { db.isClosed })
            try await gate.release()
            await closing.value
            for write in writes { try await write.value }

            await #expect(throws: DatabaseError.closed) { try await db.write { _ in 1 } }
            await #expect(throws: DatabaseError.closed) { try await db.read { _ in 1 } }
            await #expect(throws: DatabaseError.closed) { try await db.migrate([]) }
            let blocking = try await onDedicatedThread { () -> [Bool] in
                let w = Result { try db.writeBlocking { _ in 1 } }
                let r = Result { try db.readBlocking { _ in 1 } }
                return [w, r].map { if case .failure(DatabaseError.closed) = $0 { true } else { false } }
            }
            #expect(blocking == [true, true])
            await db.close()  // idempotent

            let reopened = try Database(path: path)
            #expect(try await reopened.ints("SELECT count(*) FROM t") == [5])
            await reopened.close()
        }
    }
}

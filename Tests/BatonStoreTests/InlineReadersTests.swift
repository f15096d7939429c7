import BatonPlatform
import BatonTestSupport
import Foundation
import Synchronization
import Testing

@testable import BatonStore

@Suite struct InlineReadersTests {
    /// The point of inline reads: the body runs on the thread that asked, not on a reader thread.
    @Test func aFreeConnectionReadsOnTheCallingThread() async throws {
        try await withDatabase(configuration: DatabaseConfiguration(inlineReaderCount: 1)) { db, path in
            try await db.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)") }
            try await db.write { try $0.execute("INSERT INTO t VALUES (1, 'one')") }
            let inline = try InlineReaders(path: path, count: 1, statementCacheSize: 4)
            defer { inline.close() }
            let (same, value) = try await onDedicatedThread {
                let caller = pthread_self()
                let outcome = inline.read { conn -> (Bool, String?) in
                    (
                        pthread_equal(caller, pthread_self()) != 0,
                        try conn.queryOne("SELECT v FROM t WHERE id = 1")?.string("v")
                    )
                }
                return try #require(outcome).get()
            }
            #expect(same && value == "one")
        }
    }

    /// A lookup of one statement runs without BEGIN and COMMIT around it: its statement is the
    /// read transaction. It still sees the last commit, and leaves no transaction open.
    @Test func aOneStatementReadNeedsNoTransactionAroundIt() async throws {
        try await withDatabase(configuration: DatabaseConfiguration(inlineReaderCount: 1)) { db, path in
            try await db.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)") }
            try await db.write { try $0.execute("INSERT INTO t VALUES (1, 'one')") }
            let inline = try InlineReaders(path: path, count: 1, statementCacheSize: 4)
            defer { inline.close() }
            let outcome = try await onDedicatedThread { () -> [Bool?] in
                var seen: [Bool?] = []
                for oneStatement in [true, false] {
                    let wrapped = inline.read(oneStatement: oneStatement) { conn -> Bool in
                        let before = conn.isInTransaction
                        _ = try conn.queryOne("SELECT v FROM t WHERE id = 1")
                        return before
                    }
                    seen.append(try wrapped?.get())
                }
                return seen
            }
            #expect(outcome == [false, true])
            try await db.write { try $0.execute("UPDATE t SET v = 'two' WHERE id = 1") }
            // Twice: the first read left the connection as it found it.
            let after = try await onDedicatedThread { () -> [String] in
                var values: [String] = []
                for _ in 0..<2 {
                    let read = inline.read(oneStatement: true) { conn in
                        try conn.queryOne("SELECT v FROM t WHERE id = 1")?.string("v") ?? "none"
                    }
                    values.append(try read?.get() ?? "busy")
                }
                return values
            }
            #expect(after == ["two", "two"])
        }
    }

    /// A read sees the last commit, like a reader thread's.
    @Test func keyedReadSeesTheLastCommit() async throws {
        try await withDatabase { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)") }
            for i in 1...20 {
                try await db.write { try $0.execute("INSERT INTO t VALUES (?1, 'x')", [.integer(Int64(i))]) }
                let seen = try await db.keyedRead { try $0.scalar("SELECT max(id) FROM t")?.intValue }
                #expect(seen == i)
            }
        }
    }

    /// None free (here: none at all, or the one lent to an enclosing read): the reader threads
    /// answer instead, with the same result.
    @Test func withNoFreeConnectionTheReaderThreadsAnswer() async throws {
        try await withDatabase(configuration: DatabaseConfiguration(inlineReaderCount: 0)) { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
            try await db.write { try $0.execute("INSERT INTO t VALUES (7)") }
            #expect(try await db.keyedRead { try $0.scalar("SELECT id FROM t")?.intValue } == 7)
        }
        try await withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/x.sqlite")
            defer { db.close() }
            try db.writeBlocking { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
            let inline = try InlineReaders(path: dir + "/x.sqlite", count: 1, statementCacheSize: 4)
            defer { inline.close() }
            let nested = inline.read { _ in inline.read { _ in 1 } == nil }
            #expect(try #require(nested).get())
        }
    }

    /// A lock held elsewhere is never waited for: the inline read gives up at once (nil, so the
    /// caller falls back) instead of holding an event loop for the busy timeout. With a busy
    /// timeout, the same read would wait, which is what the fallback's reader threads do.
    @Test func aBusyDatabaseIsNotWaitedFor() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/busy.sqlite"
            let db = try Database(path: path)
            try db.writeBlocking { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
            db.close()
            // An exclusive-locking connection that has written keeps every other connection out.
            let holder = try Connection(
                path: path, options: .init(readOnly: false, create: false, busyTimeoutMs: 0, statementCacheSize: 0))
            try holder.execute("PRAGMA locking_mode = EXCLUSIVE")
            try holder.execute("INSERT INTO t VALUES (1)")
            let inline = try InlineReaders(path: path, count: 1, statementCacheSize: 4)
            defer { inline.close() }
            let started = DispatchTime.now()
            let outcome = inline.read { try $0.scalar("SELECT count(*) FROM t")?.intValue }
            let elapsedMs = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
            #expect(outcome == nil)
            #expect(elapsedMs < 1000)
            // The same probe with a busy timeout waits for it: the protection is the zero timeout.
            let waiting = try Connection(
                path: path, options: .init(readOnly: true, create: false, busyTimeoutMs: 300, statementCacheSize: 0))
            let waitStart = DispatchTime.now()
            #expect(throws: SQLiteError.self) { try waiting.scalar("SELECT count(*) FROM t") }
            #expect(Double(DispatchTime.now().uptimeNanoseconds - waitStart.uptimeNanoseconds) / 1e6 >= 250)
            holder.close()
            // Once the lock is gone the inline connection reads again.
            #expect(try #require(inline.read { try $0.scalar("SELECT count(*) FROM t")?.intValue }).get() == 1)
        }
    }

    /// A body's own error reaches the caller; writing through an inline connection is refused.
    @Test func errorsOfTheBodyAreTheCallersAndWritesAreRefused() async throws {
        try await withDatabase { db, _ in
            try await db.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
            await #expect(throws: Boom.self) { try await db.keyedRead { _ in throw Boom() } }
            await #expect(throws: SQLiteError.self) {
                try await db.keyedRead { try $0.execute("INSERT INTO t VALUES (1)") }
            }
            #expect(try await db.ints("SELECT count(*) FROM t") == [0])
        }
    }

    /// Closing waits for a lent connection to come back (so the writer's last checkpoint finds
    /// no reader), then closes it.
    @Test func closeWaitsForALentConnection() async throws {
        try await withDatabase { db, path in
            try await db.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
            let inline = try InlineReaders(path: path, count: 1, statementCacheSize: 4)
            let reading = Atomic<Bool>(false)
            let closing = Atomic<Bool>(false)
            let readEnded = Atomic<Bool>(false)
            // The read keeps its connection until close has begun, and 300 ms more: close must wait
            // for it however late either thread runs (none of this blocks a cooperative thread).
            let reader = Task {
                try await onDedicatedThread {
                    inline.read { conn -> Int? in
                        reading.store(true, ordering: .sequentiallyConsistent)
                        _ = eventually(onThisThread: .seconds(120), interval: .milliseconds(1)) {
                            closing.load(ordering: .sequentiallyConsistent)
                        }
                        usleep(300_000)
                        defer { readEnded.store(true, ordering: .sequentiallyConsistent) }
                        return try conn.scalar("SELECT count(*) FROM t")?.intValue
                    }
                }
            }
            try #require(await eventually { reading.load(ordering: .sequentiallyConsistent) })
            let start = DispatchTime.now()
            let endedWhenClosed = try await onDedicatedThread { () -> Bool in
                closing.store(true, ordering: .sequentiallyConsistent)
                inline.close()
                return readEnded.load(ordering: .sequentiallyConsistent)
            }
            let waitedMs = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
            #expect(endedWhenClosed, "close returned while the read still held its connection")
            #expect(waitedMs >= 200, "close returned after \(waitedMs) ms, before the read ended")
            #expect(try #require(await reader.value).get() == 0)
            #expect(inline.read { _ in 1 } == nil)
        }
    }

    /// After close nothing is lent, and the database refuses the read.
    @Test func closedReadersLendNothing() async throws {
        try await withDatabase { db, path in
            try await db.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)") }
            let inline = try InlineReaders(path: path, count: 2, statementCacheSize: 4)
            #expect(inline.read { _ in 1 } != nil)
            inline.close()
            #expect(inline.read { _ in 1 } == nil)
            await db.close()
            await #expect(throws: DatabaseError.self) { try await db.keyedRead { _ in 1 } }
        }
    }
}

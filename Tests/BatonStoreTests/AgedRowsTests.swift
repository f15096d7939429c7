import Testing

@testable import BatonStore

/// The walk behind retention (SPEC §1.4): windows of old rows in rowid order, stopping at the
/// first young one, without reading past it.
@Suite struct AgedRowsTests {
    @Test func theWalkRemovesOldRowsInWindowsAndStopsAtTheFirstYoungOne() async throws {
        try await withDatabase { db, _ in
            try await db.write { conn in
                try conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT NOT NULL, keep INTEGER NOT NULL)")
                // Seven old rows (one to keep whatever its age), then a young one, then an old one
                // committed late: the walk never reaches it.
                for (at, keep) in [
                    ("a1", 0), ("a2", 0), ("a3", 1), ("a4", 0), ("a5", 0), ("a6", 0), ("a7", 0), ("z1", 0),
                    ("a8", 0),
                ] {
                    try conn.execute("INSERT INTO t (at, keep) VALUES (?1, ?2)", [.text(at), .integer(Int64(keep))])
                }
            }
            var walk = AgedRows(table: "t", createdColumn: "at")
            var removed: [Int] = []
            var transactions = 0
            while !walk.isDone {
                let current = walk
                let (next, n) = try await db.write { conn in
                    var walk = current
                    let n = try walk.apply(
                        "DELETE FROM t WHERE id > ?1 AND id <= ?2 AND at < ?3 AND keep = 0", conn, before: "m",
                        limit: 3)
                    return (walk, n)
                }
                walk = next
                removed.append(n)
                transactions += 1
            }
            #expect(removed == [2, 3, 1])
            #expect(transactions == 3)
            let left = try await db.read { conn in
                try conn.query("SELECT at FROM t ORDER BY id").compactMap { $0.string("at") }
            }
            #expect(left == ["a3", "z1", "a8"])
            #expect(walk.cursor == 7)
            // Once done it stays done: no more reads, nothing more removed.
            let finished = walk
            let again = try await db.write { conn in
                var done = finished
                return try done.apply("DELETE FROM t WHERE id > ?1 AND id <= ?2", conn, before: "zz", limit: 3)
            }
            #expect(again == 0)
        }
    }
}

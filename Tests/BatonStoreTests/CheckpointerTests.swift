import BatonTestSupport
import Foundation
import Testing

@testable import BatonStore

@Suite struct CheckpointerTests {
    /// SPEC §1.3: an idle server's rare commits reuse the WAL's first pages. After a quiet spell
    /// the writer asks for a checkpoint of what it committed, so the next commit starts the log
    /// over; with quiet spells switched off (idleReleaseMs 0) the same commits grow the file.
    @Test(arguments: [true, false])
    func aQuietWriterLetsTheNextCommitReuseTheWAL(quietCheckpoints: Bool) async throws {
        let configuration = DatabaseConfiguration(idleReleaseMs: quietCheckpoints ? 50 : 0)
        try await withDatabase(configuration: configuration) { db, path in
            func walSize() -> Int {
                ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
            }
            try await db.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)") }
            /// Writes, then (with quiet checkpoints) waits for the checkpoint its quiet spell owes.
            func writeThenQuiet(_ sql: String) async throws {
                let before = db.statistics.checkpoints
                try await db.write { try $0.execute(sql) }
                if quietCheckpoints {
                    try #require(await eventually { db.statistics.checkpoints > before })
                } else {
                    try await Task.sleep(for: .milliseconds(100))
                    #expect(db.statistics.checkpoints == before)
                }
            }
            try await writeThenQuiet("INSERT INTO t VALUES (1, 'first')")
            let afterFirst = walSize()
            #expect(afterFirst > 0)
            var sizes: [Int] = []
            for round in 0..<5 {
                try await writeThenQuiet("UPDATE t SET v = 'round \(round)' WHERE id = 1")
                sizes.append(walSize())
            }
            if quietCheckpoints {
                #expect(sizes.allSatisfy { $0 <= afterFirst }, "the WAL grew: \(afterFirst) then \(sizes)")
            } else {
                #expect(sizes.last! > afterFirst, "without quiet checkpoints the WAL grows: \(sizes)")
            }
            #expect(try await db.keyedRead { try $0.scalar("SELECT v FROM t WHERE id = 1")?.stringValue } == "round 4")
        }
    }
}

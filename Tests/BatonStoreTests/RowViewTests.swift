import Testing

@testable import BatonStore

/// `Connection.withFirstRow` lends the first row in place: by index it reads what a `Row` holds,
/// text as SQLite stores it, and the statement is left ready for the next use.
@Suite struct RowViewTests {
    @Test func readsWhatARowHolds() async throws {
        try await withDatabase { db, _ in
            let (row, names, values, texts, nulls) = try await db.write { c in
                try c.execute("CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n, bad TEXT)")
                try c.execute(
                    "INSERT INTO t VALUES (?1, ?2, ?3, ?4, NULL, CAST(X'61FF62' AS TEXT))",
                    [.integer(.min), .real(-1.25), .text("héllo \u{0} 🎉"), .blob([0, 255])])
                let row = try #require(try c.queryOne("SELECT * FROM t"))
                let viewed = try #require(
                    try c.withFirstRow("SELECT * FROM t") { view in
                        (
                            (0..<view.count).map { view.name(at: $0) }, (0..<view.count).map { view.value(at: $0) },
                            (0..<view.count).map { view.withText(at: $0) { Array($0) } },
                            (0..<view.count).map { view.isNull(at: $0) }
                        )
                    })
                return (row, viewed.0, viewed.1, viewed.2, viewed.3)
            }
            #expect(names == row.columns)
            #expect(values == row.columns.map { row[$0] })
            #expect(nulls == [false, false, false, false, true, false])
            // Text only, and as stored: the invalid byte is still there (a `Row` has replaced it).
            #expect(texts == [nil, nil, Array("héllo \u{0} 🎉".utf8), nil, nil, [0x61, 0xFF, 0x62]])
            #expect(row.string("bad") == "a\u{FFFD}b")
        }
    }

    @Test func noRowLendsNothingAndTheStatementIsReused() async throws {
        try await withDatabase { db, _ in
            let (nothingLent, found, calls, prepared) = try await db.write { c in
                try c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
                try c.execute("INSERT INTO t VALUES (1, 'one'), (2, 'two')")
                var calls = 0
                let sql = "SELECT v FROM t WHERE id = ?1"
                let missing: Void? = try c.withFirstRow(sql, [.integer(3)]) { _ in calls += 1 }
                let before = c.statementsPrepared
                var found: [String?] = []
                for id in [1, 2, 1] {
                    found.append(try c.withFirstRow(sql, [.integer(Int64(id))]) { $0.value(at: 0).stringValue } ?? nil)
                }
                return (missing == nil, found, calls, c.statementsPrepared - before)
            }
            #expect(nothingLent && calls == 0)
            #expect(found == ["one", "two", "one"])
            #expect(prepared == 0)
        }
    }

    /// A body that throws leaves the statement reset with its bindings cleared, and the error
    /// reaches the caller.
    @Test func aThrowingBodyLeavesTheStatementReady() async throws {
        struct Refused: Error {}
        try await withDatabase { db, _ in
            let (threw, after) = try await db.write { c in
                try c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
                try c.execute("INSERT INTO t VALUES (1, 'one')")
                let sql = "SELECT v FROM t WHERE id = ?1"
                var threw = false
                do {
                    _ = try c.withFirstRow(sql, [.integer(1)]) { _ in throw Refused() }
                } catch is Refused {
                    threw = true
                }
                // Not reset, the statement would still be on its row: a write would see a reader.
                try c.execute("DROP TABLE t")
                try c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
                try c.execute("INSERT INTO t VALUES (1, 'again')")
                return (threw, try c.withFirstRow(sql, [.integer(1)]) { $0.value(at: 0) })
            }
            #expect(threw)
            #expect(after == .text("again"))
        }
    }
}

import Testing

@testable import BatonStore

@Suite struct ConnectionTests {
    @Test func everyTypeRoundTrips() async throws {
        try await withDatabase { db, _ in
            let values: [SQLValue] = [
                .null, .integer(0), .integer(.max), .integer(.min), .real(-1.25), .real(1e300),
                .text(""), .text("héllo wörld ✓ 日本語 🎉"), .text("nul\u{0}inside"),
                .blob([]), .blob([0, 0, 1, 0, 255, 0]),
            ]
            let read = try await db.write { c in
                try c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v)")
                for value in values { try c.execute("INSERT INTO t (v) VALUES (?1)", [value]) }
                return try c.query("SELECT v FROM t ORDER BY id").map { $0["v"] }
            }
            #expect(read == values)
            let again = try await db.read { c in try c.query("SELECT id, v FROM t ORDER BY id").map { $0["v"] } }
            #expect(again == values)
        }
    }

    /// A cached statement reuses its row layout, but never across a schema change that renames
    /// or adds result columns.
    @Test func rowLayoutFollowsSchemaChanges() async throws {
        try await withDatabase { db, _ in
            let (first, second, third) = try await db.write { c in
                try c.execute("CREATE TABLE t (a INTEGER, b TEXT)")
                try c.execute("INSERT INTO t VALUES (1, 'x')")
                let first = try c.queryOne("SELECT * FROM t")
                try c.execute("ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'e'")
                let second = try c.queryOne("SELECT * FROM t")
                try c.execute("DROP TABLE t")
                try c.execute("CREATE TABLE t (b TEXT, a INTEGER)")
                try c.execute("INSERT INTO t VALUES ('y', 2)")
                let third = try c.queryOne("SELECT * FROM t")
                return (first, second, third)
            }
            #expect(first?.columns == ["a", "b"] && first?.int("a") == 1)
            #expect(second?.columns == ["a", "b", "extra"] && second?.string("extra") == "e")
            #expect(third?.columns == ["b", "a"] && third?.int("a") == 2 && third?.string("b") == "y")
        }
    }

    @Test func typedRowAccessors() async throws {
        try await withDatabase { db, _ in
            let row = try await db.read { c in
                try c.queryOne("SELECT 7 AS i, 2.5 AS d, 'x' AS s, X'0001' AS b, 1 AS flag, NULL AS n")
            }
            let r = try #require(row)
            #expect(r.columns == ["i", "d", "s", "b", "flag", "n"])
            #expect(r.int("i") == 7 && r.int64("i") == 7)
            #expect(r.double("d") == 2.5)
            #expect(r.string("s") == "x")
            #expect(r.blob("b") == [0, 1])
            #expect(r.bool("flag") == true)
            #expect(r.isNull("n") && r.int("n") == nil)
            #expect(r["missing"] == .null && !r.contains("missing") && r.contains("i"))
        }
    }

    /// A row read by name finds its column wherever the SELECT put it; a column the result does
    /// not have reads as NULL (and as nil through the typed accessors).
    @Test func rowsAreReadByNameWhateverTheColumnOrder() async throws {
        try await withDatabase { db, _ in
            let (forward, backward) = try await db.write { c in
                try c.execute("CREATE TABLE t (id INTEGER, name TEXT, score REAL, note TEXT)")
                try c.execute("INSERT INTO t VALUES (1, 'one', 1.5, NULL)")
                return (
                    try c.queryOne("SELECT id, name, score, note FROM t"),
                    try c.queryOne("SELECT note, score AS score, name, id FROM t")
                )
            }
            for row in [try #require(forward), try #require(backward)] {
                #expect(row.int64("id") == 1 && row.string("name") == "one" && row.double("score") == 1.5)
                #expect(row["id"] == .integer(1) && row["name"] == .text("one") && row.isNull("note"))
                #expect(try row.decode("id", as: Int64.self) == 1 && row.decode("name", as: String.self) == "one")
                #expect(try row.decodeIfPresent("note", as: String.self) == nil)
                #expect(row["unknown"] == .null && row.isNull("unknown"))
                #expect(row.int("unknown") == nil && row.string("unknown") == nil && row.bool("unknown") == nil)
            }
            #expect(forward?.columns == ["id", "name", "score", "note"])
            #expect(backward?.columns == ["note", "score", "name", "id"])
        }
    }

    /// `decode` throws, naming the column, where the optional accessors would give nil: a
    /// column the result lacks, a NULL, a value of another type.
    @Test func decodingFailsWithAnErrorNamingTheColumn() async throws {
        try await withDatabase { db, _ in
            let row = try #require(
                try await db.read { c in try c.queryOne("SELECT 7 AS id, 'x' AS name, NULL AS gone") })
            #expect(try row.decode("id", as: Int.self) == 7 && row.decode("id", as: Double.self) == 7)
            #expect(try row.decode("id", as: Bool.self) == true)
            #expect {
                try row.decode("nmae", as: String.self)
            } throws: { error in
                guard let error = error as? RowDecodingError, error.problem == .noSuchColumn else { return false }
                return error.column == "nmae"
                    && error.description == "the result has no column \"nmae\" (its columns: id, name, gone)"
            }
            #expect {
                try row.decodeIfPresent("nmae", as: String.self)
            } throws: { error in (error as? RowDecodingError)?.problem == .noSuchColumn }
            #expect {
                try row.decode("gone", as: Int64.self)
            } throws: { error in
                (error as? RowDecodingError)?.description == "column \"gone\" is NULL where an integer is required"
            }
            #expect {
                try row.decode("name", as: Int64.self)
            } throws: { error in
                (error as? RowDecodingError)?.description
                    == "column \"name\" holds a value of type text where an integer is expected"
            }
            #expect {
                try row.decodeIfPresent("id", as: String.self)
            } throws: { error in (error as? RowDecodingError)?.problem == .wrongType(found: "integer") }
        }
    }

    @Test func bindsSwiftValuesAndNumberedParameters() async throws {
        try await withDatabase { db, _ in
            let id = 5
            let note: String? = nil
            let row = try await db.write { c in
                try c.execute("CREATE TABLE t (id INTEGER, a TEXT, b TEXT, flag INTEGER)")
                try c.execute("INSERT INTO t VALUES (?1, ?2, ?2, ?3)", [id, note, true])
                return try c.queryOne("SELECT * FROM t WHERE id = ?1", [id])
            }
            #expect(row?.int("id") == 5 && row?["a"] == .null && row?.bool("flag") == true)
        }
    }

    @Test func wrongBindingCountThrows() async throws {
        try await withDatabase { db, _ in
            await #expect {
                try await db.read { c in _ = try c.query("SELECT ?1, ?2", [1]) }
            } throws: { ($0 as? SQLiteError)?.code == SQLiteError.range }
        }
    }

    @Test func executeRefusesSeveralStatementsButAllowsTrailingComments() async throws {
        try await withDatabase { db, _ in
            await #expect {
                try await db.write { c in try c.execute("CREATE TABLE a (x); CREATE TABLE b (x)") }
            } throws: { ($0 as? SQLiteError)?.code == SQLiteError.misuse }
            try await db.write { c in try c.execute("CREATE TABLE a (x); -- why\n") }
            #expect(try await db.ints("SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b')") == [1])
        }
    }

    @Test func executeScriptRunsEveryStatement() async throws {
        try await withDatabase { db, _ in
            try await db.write { c in
                try c.executeScript(
                    """
                    -- a comment
                    CREATE TABLE t (x INTEGER);
                    INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);
                    SELECT * FROM t;
                    """)
            }
            #expect(try await db.ints("SELECT x FROM t ORDER BY x") == [1, 2])
            await #expect {
                try await db.write { c in try c.executeScript("INSERT INTO t VALUES (3); INSERT INTO nope VALUES (1);")
                }
            } throws: { error in
                let e = error as? SQLiteError
                return e?.code == SQLiteError.error && e?.message.contains("no such table: nope") == true
            }
            // The failed write closure was rolled back as a whole, including its first insert.
            #expect(try await db.ints("SELECT x FROM t ORDER BY x") == [1, 2])
        }
    }

    @Test func scalarLastInsertRowIDAndChanges() async throws {
        try await withDatabase { db, _ in
            let (rowID, changes, count, none) = try await db.write { c in
                try c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x)")
                try c.execute("INSERT INTO t (x) VALUES (1), (2), (3)")
                let rowID = c.lastInsertRowID
                try c.execute("UPDATE t SET x = x + 1 WHERE id >= 2")
                return (
                    rowID, c.changes, try c.scalar("SELECT count(*) FROM t"),
                    try c.scalar("SELECT x FROM t WHERE id = 99")
                )
            }
            #expect(rowID == 3 && changes == 2 && count == .integer(3) && none == nil)
        }
    }

    @Test func statementsArePreparedOnceAndReused() async throws {
        try await withDatabase { db, _ in
            let (prepared, values) = try await db.write { c in
                try c.execute("CREATE TABLE t (x INTEGER)")
                let before = c.statementsPrepared
                var values: [Int] = []
                for i in 0..<10 {
                    try c.execute("INSERT INTO t VALUES (?1)", [i])
                    // Bindings are cleared and the statement reset between uses.
                    values.append(try c.scalar("SELECT count(*) FROM t WHERE x <= ?1", [i])?.intValue ?? -1)
                }
                return (c.statementsPrepared - before, values)
            }
            #expect(prepared == 2)
            #expect(values == Array(1...10))
        }
    }

    @Test func cacheEvictsLeastRecentlyUsed() async throws {
        try await withDatabase(configuration: .init(statementCacheSize: 2)) { db, _ in
            let prepared = try await db.read { c in
                let before = c.statementsPrepared
                _ = try c.query("SELECT 1")  // miss
                _ = try c.query("SELECT 2")  // miss
                _ = try c.query("SELECT 1")  // hit; SELECT 2 is now least recent
                _ = try c.query("SELECT 3")  // miss, evicts SELECT 2
                _ = try c.query("SELECT 1")  // hit
                _ = try c.query("SELECT 2")  // miss
                return (c.statementsPrepared - before, c.cachedStatementCount)
            }
            #expect(prepared.0 == 4 && prepared.1 == 2)
        }
    }

    /// The cache hashes only a statement's length and ends; texts alike there must still be told apart.
    @Test func statementsThatDifferOnlyInTheMiddleAreDistinct() async throws {
        try await withDatabase { db, _ in
            let head = String(repeating: "a", count: 30)
            let tail = String(repeating: "z", count: 30)
            let values = try await db.read { c in
                try (1...3).map { n in
                    try c.scalar("SELECT '\(head)' || '\(n)' || '\(tail)'")?.stringValue ?? ""
                }
            }
            #expect(values == (1...3).map { "\(head)\($0)\(tail)" })
        }
    }

    /// The same text in other storage (built at run time) is a hit; text String's `==` takes as
    /// equal but whose bytes differ (é precomposed and decomposed) is a statement of its own.
    @Test func statementsMatchByTheirBytes() async throws {
        try await withDatabase { db, _ in
            let (prepared, values) = try await db.read { c in
                let before = c.statementsPrepared
                let literal = try c.scalar("SELECT 'caf\u{E9}'")?.stringValue
                let built = try c.scalar(["SELECT", "'caf\u{E9}'"].joined(separator: " "))?.stringValue
                let decomposed = try c.scalar("SELECT 'cafe\u{301}'")?.stringValue
                return (c.statementsPrepared - before, [literal, built, decomposed])
            }
            #expect(prepared == 2)
            #expect(
                values.map { $0.map { Array($0.utf8.suffix(3)) } } == [
                    [0x66, 0xC3, 0xA9], [0x66, 0xC3, 0xA9], [0x65, 0xCC, 0x81],
                ])
        }
    }

    @Test func statementIsReusableAfterAnError() async throws {
        try await withDatabase { db, _ in
            let ok = try await db.write { c in
                try c.execute("CREATE TABLE t (x INTEGER UNIQUE)")
                try c.execute("INSERT INTO t VALUES (?1)", [1])
                var failed = false
                do { try c.execute("INSERT INTO t VALUES (?1)", [1]) } catch is SQLiteError { failed = true }
                try c.execute("INSERT INTO t VALUES (?1)", [2])
                return (failed, try c.scalar("SELECT count(*) FROM t"))
            }
            #expect(ok.0 && ok.1 == .integer(2))
        }
    }

    @Test func constraintViolationsCarryTheirCodes() async throws {
        try await withDatabase { db, _ in
            try await db.write { c in
                try c.executeScript(
                    """
                    CREATE TABLE parent (id INTEGER PRIMARY KEY);
                    CREATE TABLE child (
                        id INTEGER PRIMARY KEY,
                        parent_id INTEGER NOT NULL REFERENCES parent(id),
                        name TEXT UNIQUE,
                        n INTEGER CHECK (n >= 0));
                    INSERT INTO parent VALUES (1);
                    INSERT INTO child VALUES (1, 1, 'a', 0);
                    """)
            }
            let cases: [(String, Int32)] = [
                ("INSERT INTO child VALUES (2, 1, 'a', 0)", SQLiteError.constraintUnique),
                ("INSERT INTO child VALUES (1, 1, 'b', 0)", SQLiteError.constraintPrimaryKey),
                ("INSERT INTO child VALUES (2, 99, 'b', 0)", SQLiteError.constraintForeignKey),
                ("INSERT INTO child VALUES (2, NULL, 'b', 0)", SQLiteError.constraintNotNull),
                ("INSERT INTO child VALUES (2, 1, 'b', -1)", SQLiteError.constraintCheck),
            ]
            for (sql, extended) in cases {
                await #expect {
                    try await db.write { c in try c.execute(sql) }
                } throws: { error in
                    guard let e = error as? SQLiteError else { return false }
                    return e.code == SQLiteError.constraint && e.extendedCode == extended
                        && e.isConstraintViolation && e.sql == sql
                }
            }
        }
    }

    @Test func syntaxErrorsAreTyped() async throws {
        try await withDatabase { db, _ in
            await #expect {
                try await db.read { c in _ = try c.query("SELEKT 1") }
            } throws: { error in
                let e = error as? SQLiteError
                return e?.code == SQLiteError.error && e?.message.contains("syntax error") == true
                    && e?.description.contains("SELEKT 1") == true
            }
        }
    }

    @Test func blankSQLIsANoOp() async throws {
        try await withDatabase { db, _ in
            let rows = try await db.write { c in
                try c.execute("  -- nothing\n")
                return try c.query("")
            }
            #expect(rows.isEmpty)
        }
    }
}

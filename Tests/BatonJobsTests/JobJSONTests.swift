import BatonCoreFixtures
import BatonJSON
import BatonStore
import Synchronization
import Testing

@testable import BatonCore
@testable import BatonJobs

/// `GET /api/jobs/:id` writes a job's API form from its row in place (`Job.storedJSON`). It must
/// be byte for byte what `Job.load` and `jsonText` make of the same row, for every kind of
/// stored value, and refuse what they refuse.
@Suite struct JobJSONTests {
    static let tenant = "default"

    /// Values per column as SQL expressions, each row taking a different mix: NULL in every
    /// optional column, every status, priority and tier, quotes, backslashes, every control
    /// character, non-ASCII text, U+2028/2029, invalid UTF-8, extreme integers, whole and
    /// fractional costs, tags that are empty, odd or not JSON, and stored JSON documents.
    static let pools: [JobColumn: [String]] = {
        // A NUL cannot be in SQL text itself: `char(0)` puts one in below.
        let controls = "'" + (1..<32).map { String(UnicodeScalar(UInt8($0))) }.joined() + "'"
        let texts = [
            "'plain'", "''", #"'quote " and backslash \ and slash /'"#, controls, "char(127)",
            "'é ü 日本語 🚀 e' || char(769)", "char(8232) || 'x' || char(8233)", "CAST(X'61FF62C0' AS TEXT)",
            "CAST(X'E2808A' AS TEXT)", "CAST(X'E280' AS TEXT)", "'nul' || char(0) || 'inside'",
            "'" + String(repeating: "long text ", count: 300) + "'",
        ]
        let optionalTexts = ["NULL"] + texts
        let times = ["'2026-12-06T19:40:00.000Z'", "'t0'", "NULL"]
        let documents = [
            "NULL", #"'{"worker":"gpu-1","score":81.5}'"#, "'{}'", #"'{"a":[1,2,{"b":null}],"é":"🚀"}'"#,
            "CAST(X'7B2278223A2261FF227D' AS TEXT)",
        ]
        return [
            .status: JobStatus.allCases.map { "'\($0.rawValue)'" },
            .prompt: texts, .input: optionalTexts, .provider: ["'dry-run'", "'ollama'"] + texts,
            .model: optionalTexts, .priority: JobPriority.allCases.map { "'\($0.rawValue)'" },
            .tier: JobTier.allCases.map { "'\($0.rawValue)'" },
            .tags: [
                "'[]'", #"'["a","b\\c"]'"#, #"'[ "spaced" ]'"#, #"'[1,"x",null]'"#, "'not json'", "'{}'",
                #"'["é","\u2028"]'"#,
            ],
            .worker: ["NULL", "'w1'", "'w2'"] + texts, .attempt: ["1", "3", "9223372036854775807", "2.0"],
            .issue: optionalTexts, .createdAt: Array(times.dropLast()) + texts,
            .updatedAt: Array(times.dropLast()) + texts,
            .assignedAt: times + texts, .startedAt: times, .finishedAt: times, .result: optionalTexts,
            .error: optionalTexts, .progress: documents,
            .tokensInput: ["0", "1200", "9223372036854775807", "-9223372036854775808", "4.0"],
            .tokensOutput: ["0", "340", "9007199254740993"],
            .costUSD: [
                "NULL", "0", "2", "0.0125", "0.1", "1e-7", "1e20", "123456789012345.5", "-3.5", "1e300",
                "9007199254740993",
            ],
            .routing: documents, .leaseToken: ["NULL", "'lease-secret'"], .leaseExpiresMs: ["NULL", "1765000000000"],
            .cancelRequested: ["0", "1", "2"], .context: documents, .modelUsed: optionalTexts, .report: documents,
            .needsInput: ["0", "1", "1.0"],
        ]
    }()

    /// Row `i`'s value for `column`, picked by a hash of both (the same on every run), so the
    /// rows mix the pools' values.
    static func value(_ column: JobColumn, row i: Int) -> String {
        if column == .id { return String(i) }
        if column == .tenant { return "'\(tenant)'" }
        let pool = pools[column]!
        var x = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(column.rawValue) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 31)) &* 0x94D0_49BB_1331_11EB
        return pool[Int((x ^ (x >> 29)) % UInt64(pool.count))]
    }

    static func insert(_ values: [JobColumn: String], into conn: Connection) throws {
        let columns = JobColumn.allCases
        try conn.execute(
            "INSERT INTO jobs (\(columns.map(\.name).joined(separator: ", "))) VALUES ("
                + columns.map { values[$0]! }.joined(separator: ", ") + ")")
    }

    /// What `GET /api/jobs/:id` answered before it wrote rows in place.
    static func loaded(_ id: Int64, tenant: String = tenant, worker: String? = nil, _ conn: Connection) throws
        -> [UInt8]?
    {
        guard let job = try Job.load(id: id, tenant: tenant, from: conn), worker == nil || job.worker == worker else {
            return nil
        }
        return Array(job.jsonText.utf8)
    }

    @Test func storedRowsAreWrittenAsJobJSONTextWritesThem() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let count = 400
            let mismatches = try await core.database.write { conn -> [Int] in
                for i in 1...count {
                    try Self.insert(
                        Dictionary(uniqueKeysWithValues: JobColumn.allCases.map { ($0, Self.value($0, row: i)) }),
                        into: conn)
                }
                var mismatches: [Int] = []
                for i in 1...count {
                    let id = Int64(i)
                    // Written in place, not through the fallback that reads a `Job`.
                    let inPlace = try Job.jsonInPlace(id: id, tenant: Self.tenant, from: conn)
                    let job = try Job.load(id: id, tenant: Self.tenant, from: conn)
                    let expected = job.map { StoredJobJSON(bytes: Array($0.jsonText.utf8), worker: $0.worker) }
                    if expected == nil || inPlace != .written(expected!) { mismatches.append(i) }
                }
                return mismatches
            }
            #expect(mismatches.isEmpty, "rows written differently: \(mismatches.prefix(20))")
            // Every pool value was used by some row.
            for (column, pool) in Self.pools {
                let used = Set((1...count).map { Self.value(column, row: $0) })
                #expect(used.count == pool.count, "\(column.name) used \(used.count) of \(pool.count)")
            }
        }
    }

    /// The same through the dispatcher, on the inline connection and through the readers, for
    /// jobs it made itself.
    @Test func theDispatcherAnswersWithTheJobsJSONText() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let dispatcher = core.dispatcher
            var spec = JobSpec(
                prompt: "Summarise \"this\"\n\u{01} é 🚀 \u{2028}", input: "in", provider: "dry-run", model: "haiku",
                priority: .high, tier: .low, tags: ["a", "b\\c"], issue: "ENG-7")
            spec.context = ["k": "v\u{0}"]
            let job = try await dispatcher.create(spec, tenant: Self.tenant)
            let expected = Array(try await dispatcher.job(job.id, tenant: Self.tenant).jsonText.utf8)
            #expect(try await dispatcher.jobJSON(job.id, tenant: Self.tenant) == expected)
            #expect(try dispatcher.jobJSONNow(job.id, tenant: Self.tenant) == expected)
            #expect(String(decoding: expected, as: UTF8.self) == job.jsonText)
        }
    }

    /// A job read once is answered from memory until its row changes: then the next read sees
    /// the change, whether the dispatcher made it or any other write of this process did.
    /// Changes to other rows leave it kept.
    @Test func aKeptJobIsReadAgainAfterItsRowChanges() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let dispatcher = core.dispatcher
            let job = try await dispatcher.create(JobSpec(prompt: "first", provider: "dry-run"), tenant: Self.tenant)
            let other = try await dispatcher.create(JobSpec(prompt: "other", provider: "dry-run"), tenant: Self.tenant)
            func now() throws -> String {
                String(decoding: try #require(try dispatcher.jobJSONNow(job.id, tenant: Self.tenant)), as: UTF8.self)
            }
            #expect(try now() == job.jsonText)
            #expect(dispatcher.jobJSONCache.count == 1)
            #expect(try now() == job.jsonText)

            // Other rows change: still kept.
            _ = try await dispatcher.update(other.id, tenant: Self.tenant, tags: ["x"], priority: nil, tier: nil)
            try await core.database.write { conn in
                try conn.execute("CREATE TABLE unrelated (v INTEGER)")
                try conn.execute("INSERT INTO unrelated VALUES (1)")
            }
            #expect(dispatcher.jobJSONCache.count == 1)

            let updated = try await dispatcher.update(
                job.id, tenant: Self.tenant, tags: ["changed"], priority: nil, tier: nil)
            #expect(dispatcher.jobJSONCache.count == 0)
            #expect(try now() == updated.jsonText)
            #expect(try now().contains(#""tags":["changed"]"#))

            try await core.database.write { conn in
                try conn.execute("UPDATE jobs SET prompt = 'edited' WHERE id = ?1", [.integer(job.id)])
            }
            #expect(try now().contains(#""prompt":"edited""#))
            let stored = try await dispatcher.job(job.id, tenant: Self.tenant)
            #expect(try now() == stored.jsonText)
            #expect(try await dispatcher.jobJSON(job.id, tenant: Self.tenant) == Array(stored.jsonText.utf8))
            // Kept per tenant, and still only for the worker it is assigned to.
            #expect(throws: DispatchError.self) { try dispatcher.jobJSONNow(job.id, tenant: "other") }
            #expect(throws: DispatchError.self) { try dispatcher.jobJSONNow(job.id, tenant: Self.tenant, worker: "w1") }
            // A change rolled back drops it too (the writer cannot tell); the row deleted is gone.
            struct Refused: Error {}
            await #expect(throws: Refused.self) {
                try await core.database.write { conn in
                    try conn.execute("UPDATE jobs SET prompt = 'never' WHERE id = ?1", [.integer(job.id)])
                    throw Refused()
                }
            }
            #expect(dispatcher.jobJSONCache.count == 0)
            #expect(try now() == stored.jsonText)
            try await core.database.write { conn in
                try conn.execute("DELETE FROM jobs WHERE id = ?1", [.integer(job.id)])
            }
            #expect(throws: DispatchError.self) { try dispatcher.jobJSONNow(job.id, tenant: Self.tenant) }
        }
    }

    /// Readers racing a writer that changes one job again and again never get an answer older
    /// than the last change that had ended before their read began.
    @Test func readsRacingChangesAreNeverStale() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let dispatcher = core.dispatcher
            let job = try await dispatcher.create(JobSpec(prompt: "0", provider: "dry-run"), tenant: Self.tenant)
            final class Race: Sendable {
                let written = Atomic<Int>(0)
                let stale = Atomic<Int>(0)
                let reads = Atomic<Int>(0)
            }
            let race = Race()
            let database = core.database
            let id = job.id
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for n in 1...300 {
                        try await database.write { conn in
                            try conn.execute(
                                "UPDATE jobs SET prompt = ?2 WHERE id = ?1", [.integer(id), .text("\(n)")])
                        }
                        race.written.store(n, ordering: .sequentiallyConsistent)
                    }
                }
                for _ in 0..<2 {
                    group.addTask {
                        while race.written.load(ordering: .sequentiallyConsistent) < 300 {
                            let floor = race.written.load(ordering: .sequentiallyConsistent)
                            let answer = try await dispatcher.jobJSON(id, tenant: Self.tenant)
                            let prompt = try #require(try JSONParser.parse(answer)["prompt"]?.stringValue)
                            if try #require(Int(prompt)) < floor { race.stale.add(1, ordering: .relaxed) }
                            race.reads.add(1, ordering: .relaxed)
                            // A kept answer never suspends: let the writing task have a thread.
                            await Task.yield()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(race.stale.load(ordering: .relaxed) == 0)
            #expect(race.reads.load(ordering: .relaxed) > 0)
        }
    }

    /// A worker key acting for itself sees only its own jobs; other tenants' and unknown ids are
    /// no job at all.
    @Test func onlyVisibleJobsAreWritten() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let answers = try await core.database.write { conn -> [[UInt8]?] in
                for (i, worker) in ["'w1'", "'w2'", "NULL"].enumerated() {
                    var values = Dictionary(
                        uniqueKeysWithValues: JobColumn.allCases.map { ($0, Self.value($0, row: 1)) })
                    values[.id] = String(i + 1)
                    values[.worker] = worker
                    try Self.insert(values, into: conn)
                }
                return try [
                    Self.inPlace(1, tenant: Self.tenant, worker: "w1", conn),
                    Self.inPlace(2, tenant: Self.tenant, worker: "w1", conn),
                    Self.inPlace(3, tenant: Self.tenant, worker: "w1", conn),
                    Self.inPlace(1, tenant: "other", worker: nil, conn),
                    Self.inPlace(4, tenant: Self.tenant, worker: nil, conn),
                    Self.inPlace(2, tenant: Self.tenant, worker: nil, conn),
                    Self.loaded(1, worker: "w1", conn), Self.loaded(2, conn),
                ]
            }
            #expect(answers[0] != nil && answers[0] == answers[6])
            #expect(answers[1] == nil && answers[2] == nil && answers[3] == nil && answers[4] == nil)
            #expect(answers[5] != nil && answers[5] == answers[7])
            await #expect(throws: DispatchError.self) {
                try await core.dispatcher.jobJSON(2, tenant: Self.tenant, worker: "w1")
            }
            #expect(throws: DispatchError.self) { try core.dispatcher.jobJSONNow(9, tenant: Self.tenant) }
        }
    }

    /// A stored value `Job(row:)` refuses (a hand-edited row) is refused the same way, with the
    /// same error, whether or not the API form shows that column.
    @Test func rowsJobRefusesAreRefused() async throws {
        // Text columns convert numbers to text, so only a blob is of the wrong type there.
        let unusual: [(JobColumn, String)] = [
            (.prompt, "X'3432'"), (.input, "X'00'"), (.attempt, "'three'"), (.costUSD, "'cheap'"),
            (.cancelRequested, "'yes'"), (.tokensInput, "4.5"), (.tags, "X'5B5D'"), (.leaseToken, "X'35'"),
            (.leaseExpiresMs, "'soon'"), (.worker, "X'7731'"), (.routing, "X'7B7D'"), (.tenant, "X'64'"),
            // Names the table's checks refuse: read as `Job(row:)` reads them, not refused.
            (.status, "'paused'"), (.priority, "'urgent'"), (.tier, "'huge'"),
        ]
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let (outcomes, fallbacks) = try await core.database.write { conn -> ([(String, String)], Int) in
                // Hand edits the table's checks would refuse.
                try conn.execute("PRAGMA ignore_check_constraints = ON")
                var outcomes: [(String, String)] = []
                var fallbacks = 0
                for (i, (column, value)) in unusual.enumerated() {
                    var values = Dictionary(
                        uniqueKeysWithValues: JobColumn.allCases.map { ($0, Self.value($0, row: 5)) })
                    values[.id] = String(i + 1)
                    values[column] = value
                    values[.worker] = column == .worker ? value : "'w1'"
                    do {
                        try Self.insert(values, into: conn)
                    } catch {
                        // NOT NULL cannot be switched off: a NULL there cannot be stored at all.
                        outcomes.append(("\(column.name): not stored", "\(column.name): not stored"))
                        continue
                    }
                    for worker in [nil, "w1", "w2"] {
                        let expected = Self.describe { try Self.loaded(Int64(i + 1), worker: worker, conn) }
                        let inPlace = Self.describe {
                            try Self.inPlace(Int64(i + 1), tenant: Self.tenant, worker: worker, conn)
                        }
                        outcomes.append(
                            (
                                "\(column.name) \(worker ?? "-"): \(inPlace)",
                                "\(column.name) \(worker ?? "-"): \(expected)"
                            ))
                    }
                    let wrote = try Job.jsonInPlace(id: Int64(i + 1), tenant: Self.tenant, from: conn)
                    fallbacks += wrote == .unusual ? 1 : 0
                }
                return (outcomes, fallbacks)
            }
            for (inPlace, expected) in outcomes { #expect(inPlace == expected) }
            // The refused values are left to `Job(row:)`; the odd names are read in place.
            #expect(fallbacks == 11)
            #expect(outcomes.filter { $0.1.contains("RowDecodingError") }.count == 11 * 3)
        }
    }

    /// What `GET /api/jobs/:id` answers now, read in place.
    static func inPlace(_ id: Int64, tenant: String, worker: String?, _ conn: Connection) throws -> [UInt8]? {
        try Job.storedJSON(id: id, tenant: tenant, from: conn).flatMap { $0.isVisible(to: worker) ? $0.bytes : nil }
    }

    static func describe(_ body: () throws -> [UInt8]?) -> String {
        do {
            return try body().map { String(decoding: $0, as: UTF8.self) } ?? "none"
        } catch {
            return "\(type(of: error)): \(error)"
        }
    }

    /// The row is read by index, so `JobColumn` must list what `Job.columns` selects, in order, and
    /// call optional exactly the columns the table lets be NULL.
    @Test func jobColumnsFollowTheTable() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let table = try await core.database.read { conn in try conn.query("PRAGMA table_info(jobs)") }
            #expect(table.map { $0.string("name") ?? "" } == JobColumn.allCases.map(\.name))
            for (row, column) in zip(table, JobColumn.allCases) {
                // The rowid (`INTEGER PRIMARY KEY`) is never NULL, NOT NULL or not.
                let nullable = row.int("notnull") == 0 && row.int("pk") == 0
                #expect(column.isOptional == nullable, "\(column.name)")
            }
            #expect(Job.columns == JobColumn.allCases.map(\.name).joined(separator: ", "))
        }
    }
}

import BatonStore
import BatonTestSupport
import Testing

@testable import BatonCore

/// The embedded migrations against real SQLite files, in particular 0006's rebuild of tables that
/// other tables reference.
@Suite struct MigrationsTests {
    /// A database in a fresh directory migrated up to `version`, for a test of the migrations
    /// after it: `body` gets it and every migration, off the cooperative pool.
    static func withDatabase(
        migratedTo version: Int, _ body: @escaping @Sendable (Database, [Migration]) throws -> Void
    ) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try await offPool {
            let all = try BatonMigrations.all()
            let db = try Database(path: dir.path + "/baton.db")
            defer { db.close() }
            _ = try db.migrate(all.filter { $0.version <= version })
            try body(db, all)
        }
    }

    @Test func versionsAreConsecutiveFromOne() throws {
        let versions = try BatonMigrations.all().map(\.version).sorted()
        #expect(versions == Array(1...versions.count))
    }

    @Test func rebuildingJobsKeepsEveryRowAndReference() async throws {
        try await Self.withDatabase(migratedTo: 5) { db, all in
            try db.writeBlocking { conn in
                try conn.execute(
                    """
                    INSERT INTO jobs (id, tenant, status, prompt, provider, priority, tier, tags, created_at, updated_at,
                        tokens_input) VALUES (7, 'acme', 'completed', 'p', 'claude', 'high', 'low', '["a"]', 't', 't', 42)
                    """)
                try conn.execute(
                    "INSERT INTO job_steers (job_id, message, created_at) VALUES (7, 'go left', 't')")
                try conn.execute(
                    """
                    INSERT INTO cost_ledger (tenant, job_id, attempt, provider, model, tokens_input, tokens_output,
                        cost_usd, source, at) VALUES ('acme', 7, 1, 'claude', 'haiku', 42, 1, 0.5, 'pricing', 't')
                    """)
            }
            let report = try db.migrate(all)
            #expect(report.applied.map(\.version).contains(6))
            try db.writeBlocking { conn in
                let job = try conn.queryOne(
                    "SELECT tenant, status, priority, tier, tokens_input FROM jobs WHERE id = 7")
                #expect(job?.string("tenant") == "acme" && job?.string("status") == "completed")
                #expect(job?.string("priority") == "high" && job?.string("tier") == "low")
                #expect(job?.int("tokens_input") == 42)
                #expect(try conn.scalar("SELECT count(*) FROM job_steers WHERE job_id = 7")?.intValue == 1)
                #expect(try conn.scalar("SELECT cost_usd FROM cost_ledger WHERE job_id = 7")?.doubleValue == 0.5)
                // No IN lists left in the hot tables' checks and indexes.
                let schema = try conn.query(
                    "SELECT sql FROM sqlite_master WHERE tbl_name IN ('jobs', 'cost_ledger') AND sql IS NOT NULL"
                ).compactMap { $0.string("sql") }
                // Two tables, six indexes (jobs_live became jobs_unfinished; 0024 added jobs_unfinished_by_issue).
                #expect(schema.count == 8)
                #expect(schema.allSatisfy { !$0.contains(" IN (") })
                // The checks still hold, and so do the references.
                #expect(throws: SQLiteError.self) {
                    try conn.execute("UPDATE jobs SET status = 'exploded' WHERE id = 7")
                }
                #expect(throws: SQLiteError.self) {
                    try conn.execute(
                        "INSERT INTO job_steers (job_id, message, created_at) VALUES (99, 'to nobody', 't')")
                }
                // Since 0020 the ledger outlives the jobs retention removes: no reference to jobs.
                try conn.execute(
                    """
                    INSERT INTO cost_ledger (tenant, job_id, attempt, provider, model, tokens_input, tokens_output,
                        cost_usd, source, at) VALUES ('acme', 99, 1, 'claude', 'haiku', 1, 1, 0, 'pricing', 't')
                    """)
                #expect(try conn.query("PRAGMA foreign_key_check").isEmpty)
                // The start-up query for live jobs is answered from the unfinished-jobs index.
                let plan = try conn.query(
                    """
                    EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE finished_at IS NULL
                        AND (status = 'pending' OR status = 'assigned' OR status = 'running') ORDER BY id
                    """
                ).compactMap { $0.string("detail") }.joined(separator: "; ")
                #expect(plan.contains("jobs_unfinished"), "plan: \(plan)")
            }
        }
    }

    /// 0025 moves each worker's workspace inventory out of `workers` into a row of its own.
    @Test func workersInventoriesMoveToTheirOwnTable() async throws {
        try await Self.withDatabase(migratedTo: 24) { db, all in
            try db.writeBlocking { conn in
                for (instance, workspaces, usage) in [
                    ("w1", #"["ENG-1","job-3"]"#, #"{"ENG-1":{"bytes":8192}}"#), ("w2", "[]", "{}"),
                ] {
                    try conn.execute(
                        """
                        INSERT INTO workers (tenant, instance, status, tags, provider, providers, capacity, load, models,
                            first_seen_at, last_heartbeat_ms, jobs_completed, workspaces, workspace_usage)
                        VALUES ('acme', ?1, 'idle', '[]', 'dry-run', '[]', 2, 0, '[]', 't', 5, 9, ?2, ?3)
                        """, [.text(instance), .text(workspaces), .text(usage)])
                }
            }
            _ = try db.migrate(all)
            try db.writeBlocking { conn in
                let inventories = try conn.query(
                    "SELECT tenant, instance, workspaces, workspace_usage FROM worker_inventories ORDER BY instance")
                #expect(
                    inventories.map { row in
                        ["tenant", "instance", "workspaces", "workspace_usage"].map { row.string($0) ?? "" }
                    } == [
                        ["acme", "w1", #"["ENG-1","job-3"]"#, #"{"ENG-1":{"bytes":8192}}"#],
                        ["acme", "w2", "[]", "{}"],
                    ])
                let columns = try conn.query("SELECT name FROM pragma_table_info('workers')").compactMap {
                    $0.string("name")
                }
                #expect(!columns.contains("workspaces") && !columns.contains("workspace_usage"), "\(columns)")
                #expect(try conn.scalar("SELECT sum(jobs_completed) FROM workers")?.intValue == 18)
                #expect(try conn.query("PRAGMA foreign_key_check").isEmpty)
            }
        }
    }

    /// Entries chained before migration 0018 added `count` still verify after it, and the chain
    /// goes on from them.
    @Test func anAuditChainFromBeforeTheCountColumnStillVerifies() async throws {
        try await Self.withDatabase(migratedTo: 17) { db, all in
            var previous = AuditLog.genesisHash
            for id in Int64(1)...3 {
                var entry = AuditEntry(
                    id: id, at: "2026-01-01T00:00:0\(id).000Z", tenant: nil, actor: "anonymous", actorName: nil,
                    action: "POST /api/jobs", target: "/api/jobs", requestID: "r\(id)", source: "10.0.0.1:9",
                    status: 401, diff: #"{"body":{"prompt":"x"}}"#, prevHash: previous, hash: "")
                entry.hash = AuditLog.hash(entry)
                previous = entry.hash
                try db.writeBlocking { conn in
                    try conn.execute(
                        """
                        INSERT INTO audit (id, at, tenant, actor, actor_name, action, target, request_id, source,
                            status, diff, prev_hash, hash) VALUES (?1, ?2, NULL, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                        """,
                        [
                            .integer(entry.id), .text(entry.at), .text(entry.actor), .text(entry.action),
                            .text(entry.target), .text(entry.requestID!), .text(entry.source!), .integer(401),
                            .text(entry.diff), .text(entry.prevHash), .text(entry.hash),
                        ])
                }
            }
            _ = try db.migrate(all)
            let audit = AuditLog(database: db, events: try EventBus(database: db))
            #expect(try audit.verify() == .intact(entries: 3))
            try db.writeBlocking { conn in
                _ = try AuditLog.insert(
                    AuditDraft(
                        tenant: nil, actor: .anonymous, action: "POST /api/jobs", target: "/api/jobs", count: 40),
                    into: conn)
            }
            #expect(try audit.verify() == .intact(entries: 4))
        }
    }
}

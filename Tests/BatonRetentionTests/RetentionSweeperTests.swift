import BatonCore
import BatonCoreFixtures
import BatonIssues
import BatonJSON
import BatonJobs
import BatonStore
import BatonWorkerProtocol
import Testing

@testable import BatonRetention

/// Retention (SPEC §1.4) over a real migrated SQLite file, on the fixture's manual clock: rows
/// made 40 days ago go, rows made now stay, live work stays whatever its age.
@Suite struct RetentionSweeperTests {
    static let day: Int64 = 86_400_000

    static func settings(_ overrides: JSONValue = [:]) -> RetentionSettings {
        RetentionSettings(config: ConfigSchema.defaults.merged(with: ["retention": overrides]))
    }

    /// A job run to completion now (with a ledger entry), its id.
    static func finishedJob(_ core: Core, prompt: String, cost: Double = 0.5) async throws -> Int64 {
        _ = try await core.dispatcher.presence(PresenceReport(instance: "w1", provider: "dry-run"), tenant: "default")
        let job = try await core.dispatcher.create(JobSpec(prompt: prompt, provider: "dry-run"), tenant: "default")
        let lease = try #require(try await core.dispatcher.lease(worker: "w1", tenant: "default", wait: .zero))
        #expect(lease.job.id == job.id)
        _ = try await core.dispatcher.complete(
            job.id, tenant: "default", worker: "w1", CompletionReport(token: lease.token, result: "ok", costUSD: cost))
        return job.id
    }

    static func count(_ core: Core, _ sql: String) throws -> Int {
        try core.database.readBlocking { try $0.scalar(sql)?.intValue ?? -1 }
    }

    @Test func oldFinishedWorkGoesAndRecentAndLiveWorkStays() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let old = try await Self.finishedJob(core, prompt: "old")
            try await core.database.write { conn in
                try conn.execute(
                    "INSERT INTO job_steers (job_id, message, created_at) VALUES (?1, 'steer', '2026-01-01T00:00:00.000Z')",
                    [.integer(old)])
                try conn.execute(
                    "INSERT INTO worker_commands (tenant, instance, command, created_at, delivered_at) VALUES ('default', 'w1', '{}', ?1, ?1)",
                    [.text(Timestamp.format(milliseconds: fixture.clock.now))])
            }
            // Still pending 40 days later: live work is never pruned.
            let pending = try await core.dispatcher.create(
                JobSpec(prompt: "waiting", provider: "nobody-has-this"), tenant: "default")
            let eventsBefore = try Self.count(core, "SELECT count(*) FROM events")
            fixture.clock.advance(ms: 40 * Self.day)
            let recent = try await Self.finishedJob(core, prompt: "recent")
            let newest = try await Self.finishedJob(core, prompt: "newest")

            let sweeper = RetentionSweeper(dispatcher: core.dispatcher, settings: Self.settings())
            let pass = try await sweeper.runOnce()

            let jobs = try core.database.readBlocking { conn in
                try conn.query("SELECT id FROM jobs ORDER BY id").compactMap { $0.int64("id") }
            }
            #expect(jobs == [pending.id, recent, newest])
            #expect(pass.removed["jobs"] == 1)
            #expect(pass.removed["worker_commands"] == 1)
            #expect(try Self.count(core, "SELECT count(*) FROM job_steers") == 0)
            // Every event of the first 40 days is gone; those of the recent jobs stay.
            #expect(pass.removed["events"] == eventsBefore)
            #expect(try Self.count(core, "SELECT count(*) FROM events") > 0)
            let cutoff = Timestamp.format(milliseconds: fixture.clock.now - 30 * Self.day)
            #expect(try Self.count(core, "SELECT count(*) FROM events WHERE at < '\(cutoff)'") == 0)
            // The ledger keeps spend 400 days: the old job's entry outlives its job.
            #expect(try Self.count(core, "SELECT count(*) FROM cost_ledger WHERE job_id = \(old)") == 1)
            // A second pass has nothing left to do.
            #expect(try await sweeper.runOnce().total == 0)
            // New ids continue after the newest ever given, never reusing a pruned one.
            let next = try await core.dispatcher.create(JobSpec(prompt: "next", provider: "dry-run"), tenant: "default")
            #expect(next.id > newest)
        }
    }

    /// An idle coordinator stays idle: a pass with nothing old to remove only reads.
    @Test func aPassWithNothingToPruneWritesNothing() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            _ = try await Self.finishedJob(core, prompt: "recent")
            let commits = core.database.statistics.commits
            let pass = try await RetentionSweeper(dispatcher: core.dispatcher, settings: Self.settings()).runOnce()
            #expect(pass.total == 0)
            #expect(core.database.statistics.commits == commits)
        }
    }

    @Test func theNewestJobIsKeptSoItsIdIsNeverGivenAgain() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let first = try await Self.finishedJob(core, prompt: "first")
            let last = try await Self.finishedJob(core, prompt: "last")
            fixture.clock.advance(ms: 40 * Self.day)
            let pass = try await RetentionSweeper(dispatcher: core.dispatcher, settings: Self.settings()).runOnce()
            #expect(pass.removed["jobs"] == 1)
            #expect(try Self.count(core, "SELECT count(*) FROM jobs WHERE id = \(first)") == 0)
            #expect(try Self.count(core, "SELECT count(*) FROM jobs WHERE id = \(last)") == 1)
            let next = try await core.dispatcher.create(JobSpec(prompt: "next", provider: "dry-run"), tenant: "default")
            #expect(next.id == last + 1)
        }
    }

    @Test func zeroKeepsEverythingForever() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            _ = try await Self.finishedJob(core, prompt: "a")
            _ = try await Self.finishedJob(core, prompt: "b")
            let before = try core.database.rows(["jobs", "events", "cost_ledger"])
            fixture.clock.advance(ms: 4000 * Self.day)
            let off: JSONValue = [
                "events_s": 0, "jobs_s": 0, "webhook_deliveries_s": 0, "attempt_prompts_s": 0, "cost_ledger_s": 0,
                "issues_s": 0,
            ]
            let pass = try await RetentionSweeper(dispatcher: core.dispatcher, settings: Self.settings(off)).runOnce()
            #expect(pass.total == 0)
            #expect(try core.database.rows(["jobs", "events", "cost_ledger"]) == before)
        }
    }

    @Test func smallBatchesStillRemoveEverythingOld() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            for n in 0..<7 { _ = try await Self.finishedJob(core, prompt: "job \(n)") }
            _ = try await core.dispatcher.create(JobSpec(prompt: "keeps the ids", provider: "x"), tenant: "default")
            let commitsBefore = core.database.statistics.commits
            fixture.clock.advance(ms: 40 * Self.day)
            let pass = try await RetentionSweeper(
                dispatcher: core.dispatcher, settings: Self.settings(["batch_rows": 2])
            ).runOnce()
            #expect(pass.removed["jobs"] == 7)
            #expect(try Self.count(core, "SELECT count(*) FROM jobs") == 1)
            // Many small transactions, not one large one.
            #expect(core.database.statistics.commits - commitsBefore >= 4)
        }
    }

    @Test func processedDeliveriesGoAndUnprocessedOnesStay() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            // With the default 60 s webhook window a delivery is kept at least 180 s.
            let old = Timestamp.format(milliseconds: fixture.clock.now - 300_000)
            let recent = Timestamp.format(milliseconds: fixture.clock.now - 100_000)
            try await core.database.write { conn in
                for (id, at, processed) in [
                    ("old-done", old, true), ("old-pending", old, false), ("recent-done", recent, true),
                ] {
                    try conn.execute(
                        """
                        INSERT INTO webhook_deliveries (delivery_id, tenant, received_at, type, action, body, body_hash,
                            processed_at, outcome) VALUES (?1, 'default', ?2, 'Issue', 'create', '{}', ?1, ?3, ?4)
                        """,
                        [.text(id), .text(at), processed ? .text(at) : .null, processed ? .text("ok") : .null])
                }
            }
            // One second of retention is raised to the floor: the recent delivery stays.
            let pass = try await RetentionSweeper(
                dispatcher: core.dispatcher, settings: Self.settings(["webhook_deliveries_s": 1])
            ).runOnce()
            #expect(pass.removed["webhook_deliveries"] == 1)
            let left = try core.database.readBlocking { conn in
                try conn.query("SELECT delivery_id FROM webhook_deliveries ORDER BY rowid").compactMap {
                    $0.string("delivery_id")
                }
            }
            #expect(left == ["old-pending", "recent-done"])
        }
    }

    /// Issues let go of long ago are forgotten with their attempts and transitions; live ones, and
    /// released ones whose workspace is still to be removed or whose agent session is open, stay.
    @Test func issuesReleasedLongAgoAreForgotten() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let orchestrator = core.orchestrator
            // Backlog is not an active state: first seen, released.
            try await orchestrator.ingest(
                TrackedIssue(identifier: "ENG-1", title: "old", state: "Backlog"), tenant: "default", actor: "test")
            try await orchestrator.ingest(
                TrackedIssue(identifier: "ENG-2", title: "old, workspace pending", state: "Backlog"),
                tenant: "default", actor: "test")
            try await orchestrator.ingest(
                TrackedIssue(identifier: "ENG-3", title: "live", state: "Todo"), tenant: "default", actor: "test")
            try await orchestrator.ingest(
                TrackedIssue(identifier: "ENG-5", title: "old, its agent session still open", state: "Backlog"),
                tenant: "default", actor: "test")
            try await core.database.write { conn in
                try conn.execute("UPDATE issues SET workspace_cleanup = 'w1' WHERE identifier = 'ENG-2'")
                try conn.execute(
                    """
                    INSERT INTO agent_sessions (tenant, session_id, issue, status, created_at, updated_at)
                    VALUES ('default', 's-1', 'ENG-5', 'active', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
                    """)
            }
            fixture.clock.advance(ms: 100 * Self.day)
            try await orchestrator.ingest(
                TrackedIssue(identifier: "ENG-4", title: "recent", state: "Backlog"), tenant: "default",
                actor: "test")
            #expect(try Self.count(core, "SELECT count(*) FROM issue_transitions WHERE issue = 'ENG-1'") == 1)
            let sweeper = RetentionSweeper(
                dispatcher: core.dispatcher, settings: Self.settings(["issues_s": .int(90 * 86_400)]))
            let pass = try await sweeper.runOnce()
            #expect(pass.removed["issues"] == 1)
            let left = try core.database.readBlocking { conn in
                try conn.query("SELECT identifier FROM issues ORDER BY identifier").compactMap {
                    $0.string("identifier")
                }
            }
            #expect(left == ["ENG-2", "ENG-3", "ENG-4", "ENG-5"])
            #expect(try Self.count(core, "SELECT count(*) FROM issue_transitions WHERE issue = 'ENG-1'") == 0)
            #expect(try Self.count(core, "SELECT count(*) FROM attempts WHERE issue = 'ENG-1'") == 0)
            // Nothing more to forget: the next pass changes nothing.
            let rows = try core.database.rows(["issues", "attempts", "issue_transitions"])
            #expect(try await sweeper.runOnce().removed["issues"] == 0)
            #expect(try core.database.rows(["issues", "attempts", "issue_transitions"]) == rows)
            // Sent again by the tracker, a forgotten issue arrives as new.
            let again = try await orchestrator.ingest(
                TrackedIssue(identifier: "ENG-1", title: "back", state: "Backlog"), tenant: "default", actor: "test")
            #expect(again.attempts == 0)
        }
    }

    /// Settled agent activities go with finished jobs' retention; pending ones stay, and a session
    /// goes only once it is over and empty.
    @Test func settledAgentActivitiesAndEmptyEndedSessionsGo() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let old = Timestamp.format(milliseconds: fixture.clock.now - 40 * Self.day)
            let recent = Timestamp.format(milliseconds: fixture.clock.now - 3_600_000)
            try await core.database.write { conn in
                for (session, status) in [("s-ended", "ended"), ("s-active", "active"), ("s-waiting", "stopped")] {
                    try conn.execute(
                        """
                        INSERT INTO agent_sessions (tenant, session_id, issue, status, created_at, updated_at)
                        VALUES ('default', ?1, 'ENG-1', ?2, ?3, ?3)
                        """, [.text(session), .text(status), .text(old)])
                }
                for (id, session, state, at) in [
                    ("a1", "s-ended", "delivered", old), ("a2", "s-ended", "coalesced", old),
                    ("a3", "s-active", "delivered", old), ("a4", "s-waiting", "pending", old),
                    ("a5", "s-waiting", "delivered", recent),
                ] {
                    try conn.execute(
                        """
                        INSERT INTO agent_activities (id, tenant, session_id, seq, type, content, state, created_at)
                        VALUES (?1, 'default', ?2, (SELECT coalesce(max(seq), 0) + 1 FROM agent_activities), 'thought',
                            '{}', ?3, ?4)
                        """, [.text(id), .text(session), .text(state), .text(at)])
                }
            }
            let pass = try await RetentionSweeper(
                dispatcher: core.dispatcher, settings: Self.settings(["jobs_s": 86_400])
            )
            .runOnce()
            #expect(pass.removed["agent_activities"] == 3 && pass.removed["agent_sessions"] == 1)
            let left = try core.database.readBlocking { conn in
                (
                    try conn.query("SELECT id FROM agent_activities ORDER BY id").compactMap { $0.string("id") },
                    try conn.query("SELECT session_id FROM agent_sessions ORDER BY session_id").compactMap {
                        $0.string("session_id")
                    }
                )
            }
            #expect(left.0 == ["a4", "a5"] && left.1 == ["s-active", "s-waiting"])
        }
    }

    @Test func theLedgerKeepsAtLeastTheMonthsSpend() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            _ = try await Self.finishedJob(core, prompt: "this month", cost: 2)
            fixture.clock.advance(ms: 20 * Self.day)
            let settings = Self.settings(["cost_ledger_s": 60, "jobs_s": 0])
            #expect(try await RetentionSweeper(dispatcher: core.dispatcher, settings: settings).runOnce().total == 0)
            fixture.clock.advance(ms: 13 * Self.day)
            let pass = try await RetentionSweeper(dispatcher: core.dispatcher, settings: settings).runOnce()
            #expect(pass.removed["cost_ledger"] == 1)
        }
    }

    /// A prune that frees less than a quarter of the file leaves the pages for the inserts that
    /// follow (giving them back only to grow again was most of a soak's writer work); the next
    /// inserts reuse them and the file does not grow.
    @Test func aSmallPruneKeepsItsFreePagesForTheNextInserts() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let big = String(repeating: "x", count: 8000)
            let old = Timestamp.format(milliseconds: fixture.clock.now - 60 * Self.day)
            let recent = Timestamp.format(milliseconds: fixture.clock.now)
            try await core.database.write { conn in
                for n in 0..<2000 {
                    _ = try EventBus.insert(
                        EventDraft(type: "test.big", data: "\"\(big)\""), into: conn, at: n < 200 ? old : recent)
                }
            }
            let pagesBefore = try Self.count(core, "PRAGMA page_count")
            let pass = try await RetentionSweeper(dispatcher: core.dispatcher, settings: Self.settings()).runOnce()
            #expect(pass.removed["events"] == 200)
            #expect(pass.pagesFreed == 0)
            let free = try Self.count(core, "PRAGMA freelist_count")
            #expect(free > 150)
            try await core.database.write { conn in
                for _ in 0..<150 {
                    _ = try EventBus.insert(EventDraft(type: "test.big", data: "\"\(big)\""), into: conn, at: recent)
                }
            }
            #expect(try Self.count(core, "PRAGMA page_count") == pagesBefore)
            #expect(try Self.count(core, "PRAGMA freelist_count") < free)
        }
    }

    @Test func theFileShrinksAfterAPrune() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let big = String(repeating: "x", count: 8000)
            let at = Timestamp.format(milliseconds: fixture.clock.now - 60 * Self.day)
            try await core.database.write { conn in
                for _ in 0..<2000 {
                    _ = try EventBus.insert(EventDraft(type: "test.big", data: "\"\(big)\""), into: conn, at: at)
                }
            }
            let pagesBefore = try Self.count(core, "PRAGMA page_count")
            let pass = try await RetentionSweeper(dispatcher: core.dispatcher, settings: Self.settings()).runOnce()
            #expect(pass.removed["events"] ?? 0 >= 2000)
            #expect(pass.pagesFreed > 1000)
            #expect(try Self.count(core, "PRAGMA freelist_count") == 0)
            #expect(try Self.count(core, "PRAGMA page_count") < pagesBefore / 4)
        }
    }

    @Test func prunedJobsLeaveTheirAttemptsWithoutAJob() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let job = try await Self.finishedJob(core, prompt: "attempted")
            _ = try await Self.finishedJob(core, prompt: "newest")
            let started = Timestamp.format(milliseconds: fixture.clock.now)
            try await core.database.write { conn in
                try conn.execute(
                    "INSERT INTO issues (tenant, identifier, state, created_at, updated_at) VALUES ('default', 'ENG-1', 'completed', ?1, ?1)",
                    [.text(started)])
                try conn.execute(
                    """
                    INSERT INTO attempts (tenant, issue, number, job_id, status, provider, template, prompt, started_at,
                        finished_at) VALUES ('default', 'ENG-1', 1, ?1, 'completed', 'dry-run', 'default', 'a long prompt', ?2, ?2)
                    """, [.integer(job), .text(started)])
            }
            fixture.clock.advance(ms: 40 * Self.day)
            let pass = try await RetentionSweeper(dispatcher: core.dispatcher, settings: Self.settings()).runOnce()
            #expect(pass.removed["jobs"] == 1)
            #expect(pass.removed["attempt_prompts"] == 1)
            let attempt = try #require(try core.database.attempts("ENG-1").first)
            #expect(attempt.jobID == nil)
            #expect(attempt.status == .completed)
            #expect(try Self.count(core, "SELECT count(*) FROM attempts WHERE prompt = ''") == 1)
        }
    }
}

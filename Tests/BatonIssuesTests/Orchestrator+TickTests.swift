import BatonCoreFixtures
import BatonJSON
import BatonStore
import BatonWorkerProtocol
import Testing

@testable import BatonCore
@testable import BatonIssues
@testable import BatonJobs

/// The orchestrator's tick driven directly (no HTTP, no run loop) over a real migrated SQLite
/// file: issues become attempts, attempts become jobs the test leases and completes through the
/// dispatcher, and every timer (backoff, stall) is the dispatcher's manual clock.
@Suite struct OrchestratorTickTests {
    static let tenant = "default"

    static func ingest(_ core: Core, _ identifier: String, state: String = "Todo", title: String = "Fix it")
        async throws -> IssueRecord
    {
        try await core.orchestrator.ingest(
            TrackedIssue(identifier: identifier, title: title, state: state, priority: 2, labels: ["bug"]),
            tenant: tenant, actor: "test")
    }

    static func heartbeat(_ core: Core, _ worker: String = "w1") async throws {
        _ = try await core.dispatcher.presence(PresenceReport(instance: worker, provider: "dry-run"), tenant: tenant)
    }

    static func lease(_ core: Core, _ worker: String = "w1") async throws -> Dispatcher.Lease? {
        try await core.dispatcher.lease(worker: worker, tenant: tenant, wait: .zero)
    }

    static func issue(_ core: Core, _ identifier: String) async throws -> IssueRecord {
        try await core.orchestrator.issue(identifier, tenant: tenant)
    }

    static func fail(_ core: Core, _ lease: Dispatcher.Lease, error: String, needsInput: Bool = false) async throws {
        _ = try await core.dispatcher.complete(
            lease.job.id, tenant: tenant, worker: lease.job.worker,
            .init(token: lease.token, status: needsInput ? .needsInput : .failed, error: error))
    }

    static func commands(_ core: Core, _ worker: String) throws -> [String] {
        try core.database.readBlocking { conn in
            try conn.query("SELECT command FROM worker_commands WHERE instance = ?1 ORDER BY id", [.text(worker)])
                .compactMap { $0.string("command") }
        }
    }

    /// Every tick asks, for each issue whose workspace waits for removal, whether a job of it is
    /// still running: a seek in the index of issues' unfinished jobs, not a walk of the tenant's jobs.
    @Test func theTicksUnfinishedJobsQuestionIsASeek() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let plan = try core.database.readBlocking { conn in
                try conn.query(
                    "EXPLAIN QUERY PLAN " + Orchestrator.unfinishedJobsOfIssue, [.text(Self.tenant), .text("ENG-1")]
                ).compactMap { $0.string("detail") }.joined(separator: "; ")
            }
            #expect(plan.contains("USING INDEX jobs_unfinished_by_issue (tenant=? AND issue=?)"), "\(plan)")
        }
    }

    @Test func anIngestedIssueIsQueuedThenGetsAnAttemptOnTick() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            try await Self.heartbeat(core)
            let ingested = try await Self.ingest(core, "ENG-1", title: "Fix the login page")
            #expect(ingested.state == .queued && ingested.attempts == 0)
            // Ingesting stores and queues; only a tick starts an attempt.
            #expect(try core.database.attempts("ENG-1").isEmpty)
            #expect(try core.database.rows(["jobs"]).isEmpty)
            // An issue outside the active states is tracked but never queued.
            #expect(try await Self.ingest(core, "ENG-2", state: "Backlog").state != .queued)

            try await core.orchestrator.tick(tenant: Self.tenant)
            let running = try await Self.issue(core, "ENG-1")
            #expect(running.state == .running && running.attempts == 1)
            let attempts = try core.database.attempts("ENG-1")
            let attempt = try #require(attempts.first)
            #expect(attempts.count == 1 && attempt.number == 1 && attempt.status == .running)
            #expect(attempt.template == "default" && attempt.provider == "dry-run")
            #expect(attempt.prompt.hasPrefix("You are working on ENG-1: Fix the login page"), "\(attempt.prompt)")
            let jobID = try #require(attempt.jobID)
            let job = try await core.dispatcher.job(jobID, tenant: Self.tenant)
            #expect(job.issue == "ENG-1" && job.prompt == attempt.prompt && job.priority == .high)
            #expect(try core.database.attempts("ENG-2").isEmpty)

            // A second tick with nothing new starts nothing more.
            try await core.orchestrator.tick(tenant: Self.tenant)
            #expect(try core.database.attempts("ENG-1").count == 1)

            // The worker leases the attempt's job and completes it: the next tick completes the issue.
            let lease = try #require(try await Self.lease(core))
            #expect(lease.job.id == jobID)
            _ = try await core.dispatcher.complete(
                jobID, tenant: Self.tenant, worker: "w1", .init(token: lease.token, result: "fixed"))
            try await core.orchestrator.tick(tenant: Self.tenant)
            #expect(try await Self.issue(core, "ENG-1").state == .completed)
            #expect(try core.database.attempts("ENG-1").map(\.status) == [.completed])
            #expect(
                try core.database.transitions("ENG-1") == [
                    "->released", "released>queued", "queued>running", "running>completed",
                ])
        }
    }

    /// `agent.max_concurrent` bounds the running issues; a freed slot goes to the next queued one.
    @Test func queuedIssuesWaitForAConcurrencySlot() async throws {
        try await CoreFixture.with { fixture in
            var settings = OrchestratorSettings()
            settings.maxConcurrent = 1
            let core = try await fixture.open(orchestrator: settings)
            try await Self.heartbeat(core)
            _ = try await Self.ingest(core, "ENG-1")
            _ = try await Self.ingest(core, "ENG-2")
            try await core.orchestrator.tick(tenant: Self.tenant)
            #expect(try await Self.issue(core, "ENG-1").state == .running)
            #expect(try await Self.issue(core, "ENG-2").state == .queued)
            let lease = try #require(try await Self.lease(core))
            _ = try await core.dispatcher.complete(
                lease.job.id, tenant: Self.tenant, worker: "w1", .init(token: lease.token))
            try await core.orchestrator.tick(tenant: Self.tenant)
            #expect(try await Self.issue(core, "ENG-1").state == .completed)
            #expect(try await Self.issue(core, "ENG-2").state == .running)
        }
    }

    /// A failed attempt retries after `min(10 s · 2^(n−1), max)`: a tick before `retry_at_ms`
    /// leaves it retrying, one at it starts the next attempt, and the next failure doubles the wait.
    @Test func aFailedJobRetriesWithBackoff() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            try await Self.heartbeat(core)
            _ = try await Self.ingest(core, "ENG-5")
            try await core.orchestrator.tick(tenant: Self.tenant)
            let first = try #require(try await Self.lease(core))
            try await Self.fail(core, first, error: "tests failed")
            try await core.orchestrator.tick(tenant: Self.tenant)

            let retrying = try await Self.issue(core, "ENG-5")
            #expect(retrying.state == .retrying && retrying.lastError == "tests failed")
            #expect(retrying.retryAtMs == fixture.clock.now + 10_000)
            #expect(try core.database.attempts("ENG-5").map(\.status) == [.failed])

            fixture.clock.advance(ms: 9_999)
            try await core.orchestrator.tick(tenant: Self.tenant)
            #expect(try await Self.issue(core, "ENG-5").state == .retrying)
            #expect(try core.database.attempts("ENG-5").count == 1)

            fixture.clock.advance(ms: 1)
            try await core.orchestrator.tick(tenant: Self.tenant)
            let second = try await Self.issue(core, "ENG-5")
            #expect(second.state == .running && second.attempts == 2 && second.retryAtMs == nil)
            let attempts = try core.database.attempts("ENG-5")
            #expect(attempts.map(\.status) == [.failed, .running])
            #expect(
                attempts.last?.prompt.contains("This is attempt 2. The previous attempt ended with: tests failed")
                    == true)

            // The second failure waits twice as long.
            try await Self.heartbeat(core)
            let retry = try #require(try await Self.lease(core))
            #expect(retry.job.id == attempts.last?.jobID)
            try await Self.fail(core, retry, error: "still failing")
            try await core.orchestrator.tick(tenant: Self.tenant)
            let again = try await Self.issue(core, "ENG-5")
            #expect(again.state == .retrying && again.retryAtMs == fixture.clock.now + 20_000)
            fixture.clock.advance(ms: 19_999)
            try await core.orchestrator.tick(tenant: Self.tenant)
            #expect(try await Self.issue(core, "ENG-5").state == .retrying)
            fixture.clock.advance(ms: 1)
            try await core.orchestrator.tick(tenant: Self.tenant)
            #expect(try await Self.issue(core, "ENG-5").state == .running)
            #expect(try core.database.attempts("ENG-5").count == 3)
        }
    }

    /// A running job whose agent is silent for `agent.stall_timeout_ms` is cancelled, its attempt
    /// marked stalled and the issue retried. A report without progress keeps the lease but is not
    /// activity; a report with progress restarts the stall timer.
    @Test func aStalledRunningJobIsStoppedAndRetried() async throws {
        try await CoreFixture.with { fixture in
            var settings = OrchestratorSettings()
            settings.stallTimeoutMs = 300_000
            let core = try await fixture.open(orchestrator: settings)
            try await Self.heartbeat(core)
            _ = try await Self.ingest(core, "ENG-23")
            try await core.orchestrator.tick(tenant: Self.tenant)
            let lease = try #require(try await Self.lease(core))

            // Progress at 100 s: the 300 s count starts again from there.
            fixture.clock.advance(ms: 100_000)
            _ = try await core.dispatcher.report(
                lease.job.id, tenant: Self.tenant, worker: "w1", .init(token: lease.token, progress: ["step": 1]))
            // At 200 s a bare report: it extends the lease, and is not agent activity.
            fixture.clock.advance(ms: 100_000)
            _ = try await core.dispatcher.report(
                lease.job.id, tenant: Self.tenant, worker: "w1", .init(token: lease.token))
            // 399 s in (299 s after the progress): still running.
            fixture.clock.advance(ms: 199_000)
            try await core.orchestrator.tick(tenant: Self.tenant)
            #expect(try await Self.issue(core, "ENG-23").state == .running)
            #expect(try await core.dispatcher.job(lease.job.id, tenant: Self.tenant).status == .running)

            fixture.clock.advance(ms: 1_001)
            try await core.orchestrator.tick(tenant: Self.tenant)
            let retrying = try await Self.issue(core, "ENG-23")
            #expect(retrying.state == .retrying, "\(retrying)")
            #expect(retrying.lastError?.hasPrefix("stalled: no agent event for 300 s") == true)
            #expect(retrying.retryAtMs == fixture.clock.now + 10_000)
            #expect(try core.database.attempts("ENG-23").map(\.status) == [.stalled])
            let stopped = try await core.dispatcher.job(lease.job.id, tenant: Self.tenant)
            #expect(stopped.status == .cancelled && stopped.error?.contains("stalled") == true)
            #expect(try Self.commands(core, "w1").contains { $0.contains("cancel_job") })

            // The retry: a new attempt with a new job once the backoff has passed.
            fixture.clock.advance(ms: 10_000)
            try await Self.heartbeat(core)
            try await core.orchestrator.tick(tenant: Self.tenant)
            let again = try await Self.issue(core, "ENG-23")
            #expect(again.state == .running && again.attempts == 2)
            let attempts = try core.database.attempts("ENG-23")
            #expect(attempts.map(\.status) == [.stalled, .running])
            #expect(attempts.last?.jobID != nil && attempts.last?.jobID != lease.job.id)
        }
    }

    /// `retry_at_ms` is a row, not a timer in memory: a restart mid-backoff (the database closed,
    /// a new dispatcher and orchestrator over the same file) fires it at the same time, no sooner.
    @Test func aRetryTimerSurvivesARestart() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            try await Self.heartbeat(core)
            _ = try await Self.ingest(core, "ENG-9")
            try await core.orchestrator.tick(tenant: Self.tenant)
            let lease = try #require(try await Self.lease(core))
            try await Self.fail(core, lease, error: "tests failed")
            try await core.orchestrator.tick(tenant: Self.tenant)
            let retryAt = try #require(try await Self.issue(core, "ENG-9").retryAtMs)
            #expect(retryAt == fixture.clock.now + 10_000)

            let restarted = try await fixture.restart(core)
            #expect(core.database.isClosed && !restarted.database.isClosed)
            let reread = try await Self.issue(restarted, "ENG-9")
            #expect(reread.state == .retrying && reread.retryAtMs == retryAt && reread.lastError == "tests failed")

            // `tickAll` finds the tenant from the rows (the new orchestrator has seen no ingest).
            fixture.clock.advance(ms: 9_000)
            try await restarted.orchestrator.tickAll()
            #expect(try await Self.issue(restarted, "ENG-9").state == .retrying)
            #expect(try restarted.database.attempts("ENG-9").count == 1)
            fixture.clock.advance(ms: 1_000)
            try await restarted.orchestrator.tickAll()
            let running = try await Self.issue(restarted, "ENG-9")
            #expect(running.state == .running && running.attempts == 2)

            // The restarted dispatcher serves the retry's job and the issue completes.
            try await Self.heartbeat(restarted)
            let retry = try #require(try await Self.lease(restarted))
            #expect(retry.job.issue == "ENG-9" && retry.job.id != lease.job.id)
            _ = try await restarted.dispatcher.complete(
                retry.job.id, tenant: Self.tenant, worker: "w1", .init(token: retry.token))
            // `tickAll` reconciles attempts when told a job changed (the run loop's job-event
            // follower does this) or once a second; the clock has not moved, so say so.
            restarted.orchestrator.jobsChanged()
            try await restarted.orchestrator.tickAll()
            #expect(try await Self.issue(restarted, "ENG-9").state == .completed)
            #expect(try restarted.database.attempts("ENG-9").map(\.status) == [.failed, .completed])
        }
    }

    /// A job that ended asking for input blocks its issue: no retry, however long the clock runs.
    @Test func aNeedsInputJobBlocksTheIssue() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            try await Self.heartbeat(core)
            _ = try await Self.ingest(core, "ENG-7")
            try await core.orchestrator.tick(tenant: Self.tenant)
            let lease = try #require(try await Self.lease(core))
            try await Self.fail(core, lease, error: "which branch?", needsInput: true)
            try await core.orchestrator.tick(tenant: Self.tenant)

            let blocked = try await Self.issue(core, "ENG-7")
            #expect(blocked.state == .blocked && blocked.lastError == "which branch?" && blocked.retryAtMs == nil)
            let attempts = try core.database.attempts("ENG-7")
            #expect(attempts.map(\.status) == [.blocked] && attempts.first?.error == "which branch?")
            let job = try await core.dispatcher.job(lease.job.id, tenant: Self.tenant)
            #expect(job.status == .failed && job.needsInput)

            fixture.clock.advance(ms: 3_600_000)
            try await core.orchestrator.tick(tenant: Self.tenant)
            #expect(try await Self.issue(core, "ENG-7").state == .blocked)
            #expect(try core.database.attempts("ENG-7").count == 1)
        }
    }
}

/// An attempt's rendered prompt is held to `jobs.max_prompt_bytes`, as a job created over the API.
@Suite struct OrchestratorPromptSizeTests {
    @Test func aPromptOverTheLimitBlocksTheAttemptWithoutAJob() async throws {
        try await CoreFixture.with { fixture in
            var settings = OrchestratorSettings()
            settings.maxPromptBytes = 4096
            let core = try await fixture.open(orchestrator: settings)
            try await OrchestratorTickTests.heartbeat(core)
            _ = try await core.orchestrator.ingest(
                TrackedIssue(
                    identifier: "ENG-1", title: "Large", description: String(repeating: "x", count: 10_000),
                    state: "Todo"),
                tenant: OrchestratorTickTests.tenant, actor: "test")
            try await core.orchestrator.tick(tenant: OrchestratorTickTests.tenant)
            let record = try await OrchestratorTickTests.issue(core, "ENG-1")
            #expect(record.state == .blocked)
            #expect(record.lastError?.contains("limit is 4096 (jobs.max_prompt_bytes)") == true, "\(record)")
            #expect(try core.database.rows(["jobs"]).isEmpty)
            #expect(try core.database.attempts("ENG-1").map(\.status) == [.blocked])
        }
    }
}

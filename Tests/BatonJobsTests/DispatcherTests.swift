import BatonCoreFixtures
import BatonJSON
import BatonStore
import BatonWorkerProtocol
import Testing

@testable import BatonCore
@testable import BatonJobs

/// The dispatcher driven directly (no HTTP) over a real migrated SQLite file, on a manual clock:
/// the lease protocol, lease fencing, lease expiry and needs_input completions.
@Suite struct DispatcherTests {
    static let tenant = "default"
    static let dispatchTables = ["jobs", "workers", "killswitch", "cost_ledger", "worker_commands", "job_steers"]

    /// `router.lease_s` 5 and `router.max_job_attempts` 3, as the config would set them; the
    /// worker stays online (15 s) across one expired lease.
    static func settings(maxJobAttempts: Int64 = 3) -> DispatchSettings {
        DispatchSettings(config: ["router": ["lease_s": .int(5), "max_job_attempts": .int(maxJobAttempts)]])
    }

    static func heartbeat(_ core: Core, _ worker: String = "w1") async throws {
        _ = try await core.dispatcher.presence(PresenceReport(instance: worker, provider: "dry-run"), tenant: tenant)
    }

    static func createJob(_ core: Core, prompt: String = "Summarize this document") async throws -> Job {
        try await core.dispatcher.create(JobSpec(prompt: prompt, provider: "dry-run"), tenant: tenant)
    }

    static func lease(_ core: Core, _ worker: String = "w1") async throws -> Dispatcher.Lease? {
        try await core.dispatcher.lease(worker: worker, tenant: tenant, wait: .zero)
    }

    static func isConflict(_ error: any Error) -> Bool {
        if case DispatchError.conflict = error { return true }
        return false
    }

    @Test func createLeaseReportComplete() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open(dispatch: Self.settings())
            try await Self.heartbeat(core)
            let created = try await Self.createJob(core)
            #expect(created.attempt == 1)
            // An online worker with a free slot gets the job assigned at once.
            #expect(try await core.dispatcher.job(created.id, tenant: Self.tenant).status == .assigned)

            let lease = try #require(try await Self.lease(core))
            #expect(lease.job.id == created.id && lease.job.status == .running && lease.job.worker == "w1")
            #expect(lease.expiresAt == Timestamp.format(milliseconds: fixture.clock.now + 5_000))
            #expect(lease.answer.lease.expiresInMs == 5_000)
            // Nothing else to lease.
            #expect(try await Self.lease(core) == nil)

            // A report with progress extends the lease from the current (moved) clock.
            fixture.clock.advance(ms: 3_000)
            let answer = try await core.dispatcher.report(
                created.id, tenant: Self.tenant, worker: "w1",
                .init(token: lease.token, progress: ["step": "tests"], tokensInput: 10, tokensOutput: 4))
            #expect(!answer.cancel && answer.steer.isEmpty)
            #expect(answer.leaseExpiresAt == Timestamp.format(milliseconds: fixture.clock.now + 5_000))
            #expect(answer.leaseExpiresInMs == 5_000)
            let running = try await core.dispatcher.job(created.id, tenant: Self.tenant)
            #expect(running.status == .running && running.tokensInput == 10 && running.tokensOutput == 4)
            #expect(running.leaseExpiresMs == fixture.clock.now + 5_000)
            #expect(running.updatedAt == Timestamp.format(milliseconds: fixture.clock.now))

            let done = try await core.dispatcher.complete(
                created.id, tenant: Self.tenant, worker: "w1",
                .init(token: lease.token, result: "summarised", tokensInput: 12, tokensOutput: 6))
            #expect(done.status == .completed && done.result == "summarised" && !done.needsInput)
            let stored = try await core.dispatcher.job(created.id, tenant: Self.tenant)
            #expect(stored.status == .completed && stored.result == "summarised" && stored.finishedAt != nil)
            #expect(stored.tokensInput == 12 && stored.tokensOutput == 6)
            #expect(try core.dispatcher.worker("w1", tenant: Self.tenant).entry.completed == 1)

            // The same completion again is idempotent: the job as it is, nothing changed.
            let before = try core.database.rows(Self.dispatchTables)
            let again = try await core.dispatcher.complete(
                created.id, tenant: Self.tenant, worker: "w1", .init(token: lease.token, result: "summarised"))
            #expect(again.status == .completed)
            #expect(try core.database.rows(Self.dispatchTables) == before)

            let types = try core.database.eventTypes()
            for type in ["job.created", "job.assigned", "job.started", "job.progress", "job.completed"] {
                #expect(types.contains(type), "no \(type) in \(types)")
            }
        }
    }

    /// A token that is not the job's current lease is refused as a conflict, and neither a report
    /// nor a completion with it changes a row.
    @Test func aStaleLeaseTokenIsRefusedAndChangesNothing() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open(dispatch: Self.settings())
            try await Self.heartbeat(core)
            let job = try await Self.createJob(core)
            let lease = try #require(try await Self.lease(core))
            let forged = "1." + String(repeating: "0", count: 32)
            let before = try core.database.rows(Self.dispatchTables)
            let eventsBefore = try core.database.eventTypes()

            await #expect(throws: DispatchError.self) {
                try await core.dispatcher.report(
                    job.id, tenant: Self.tenant, worker: "w1", .init(token: forged, progress: ["step": "x"]))
            }
            do {
                _ = try await core.dispatcher.complete(
                    job.id, tenant: Self.tenant, worker: "w1", .init(token: forged, status: .failed, error: "x"))
                Issue.record("a forged token completed the job")
            } catch {
                #expect(Self.isConflict(error), "\(error)")
            }
            #expect(try core.database.rows(Self.dispatchTables) == before)
            #expect(try core.database.eventTypes() == eventsBefore)

            // After the lease expires and the job is requeued and leased again, the first token is
            // stale: refused, and the new lease is untouched.
            fixture.clock.advance(ms: 5_001)
            try await core.dispatcher.sweep()
            let second = try #require(try await Self.lease(core))
            #expect(second.token != lease.token && second.job.attempt == 2)
            let beforeStale = try core.database.rows(Self.dispatchTables)
            do {
                _ = try await core.dispatcher.complete(
                    job.id, tenant: Self.tenant, worker: "w1", .init(token: lease.token, result: "late"))
                Issue.record("a stale token completed the job")
            } catch {
                #expect(Self.isConflict(error), "\(error)")
            }
            #expect(try core.database.rows(Self.dispatchTables) == beforeStale)
            let current = try await core.dispatcher.job(job.id, tenant: Self.tenant)
            #expect(current.status == .running && current.leaseToken == second.token && current.result == nil)
        }
    }

    /// A lease that runs out is requeued as a new attempt, up to `router.max_job_attempts`; the
    /// expiry of the last attempt fails the job. Nothing happens before the lease's end.
    @Test func leaseExpiryRequeuesUpToMaxAttemptsThenFails() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open(dispatch: Self.settings(maxJobAttempts: 3))
            #expect(core.dispatcher.settings.maxJobAttempts == 3 && core.dispatcher.settings.leaseMs == 5_000)
            try await Self.heartbeat(core)
            let job = try await Self.createJob(core)
            for attempt in 1...3 {
                let lease = try #require(try await Self.lease(core), "no lease for attempt \(attempt)")
                #expect(lease.job.attempt == attempt)
                #expect(lease.token.hasPrefix("\(attempt)."))
                // One millisecond short of the lease's end: the sweep leaves it running.
                fixture.clock.advance(ms: 4_999)
                try await core.dispatcher.sweep()
                #expect(try await core.dispatcher.job(job.id, tenant: Self.tenant).status == .running)
                fixture.clock.advance(ms: 1)
                try await Self.heartbeat(core)  // the worker is alive; only the lease ran out
                try await core.dispatcher.sweep()
                let after = try await core.dispatcher.job(job.id, tenant: Self.tenant)
                if attempt < 3 {
                    // Requeued with the next attempt and, the worker being free, assigned again.
                    #expect(after.attempt == attempt + 1 && after.status == .assigned, "\(after)")
                    #expect(after.leaseToken == nil && after.error?.contains("lease on w1 expired") == true)
                } else {
                    #expect(after.status == .failed && after.attempt == 3, "\(after)")
                    #expect(after.error?.contains("on attempt 3 of 3; giving up") == true, "\(after.error ?? "")")
                    #expect(after.finishedAt != nil)
                }
            }
            #expect(try await Self.lease(core) == nil)
            #expect(try core.dispatcher.worker("w1", tenant: Self.tenant).entry.failed == 3)
            let types = try core.database.eventTypes()
            #expect(types.filter { $0 == "job.requeued" }.count == 2 && types.last == "job.failed", "\(types)")

            // A sweep with nothing due changes nothing.
            let before = try core.database.rows(Self.dispatchTables)
            try await core.dispatcher.sweep()
            #expect(try core.database.rows(Self.dispatchTables) == before)
        }
    }

    /// `router.max_job_attempts` is read from the config: at 1 the first expiry fails the job.
    @Test func withOneAttemptTheFirstExpiryFails() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open(dispatch: Self.settings(maxJobAttempts: 1))
            try await Self.heartbeat(core)
            let job = try await Self.createJob(core)
            _ = try #require(try await Self.lease(core))
            fixture.clock.advance(ms: 5_000)
            try await core.dispatcher.sweep()
            let failed = try await core.dispatcher.job(job.id, tenant: Self.tenant)
            #expect(failed.status == .failed && failed.attempt == 1, "\(failed)")
        }
    }

    /// A failure with needs_input marks the job (failed, needs_input), and persists across a restart.
    @Test func aNeedsInputCompletionMarksTheJob() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open(dispatch: Self.settings())
            try await Self.heartbeat(core)
            let job = try await Self.createJob(core)
            let lease = try #require(try await Self.lease(core))
            let answer = try await core.dispatcher.complete(
                job.id, tenant: Self.tenant, worker: "w1",
                .init(token: lease.token, status: .needsInput, error: "which branch?"))
            #expect(answer.status == .failed && answer.needsInput && answer.error == "which branch?")
            let stored = try await core.dispatcher.job(job.id, tenant: Self.tenant)
            #expect(stored.status == .failed && stored.needsInput && stored.error == "which branch?")
            #expect(stored.json.text.contains(#""needs_input":true"#), "\(stored.json.text)")
            #expect(try core.dispatcher.worker("w1", tenant: Self.tenant).entry.failed == 1)

            // needs_input only marks a failure: a success is not marked.
            let other = try await Self.createJob(core, prompt: "second")
            let second = try #require(try await Self.lease(core))
            #expect(second.job.id == other.id)
            let ok = try await core.dispatcher.complete(
                other.id, tenant: Self.tenant, worker: "w1", .init(token: second.token, status: .completed))
            #expect(ok.status == .completed && !ok.needsInput)

            let restarted = try await fixture.restart(core)
            let reread = try await restarted.dispatcher.job(job.id, tenant: Self.tenant)
            #expect(reread.needsInput && reread.status == .failed)
            #expect(try await restarted.dispatcher.job(other.id, tenant: Self.tenant).needsInput == false)
        }
    }
}

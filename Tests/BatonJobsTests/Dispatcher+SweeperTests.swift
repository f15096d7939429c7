import BatonCoreFixtures
import BatonJSON
import BatonStore
import BatonTestSupport
import BatonWorkerProtocol
import Synchronization
import Testing

@testable import BatonCore
@testable import BatonJobs

/// The sweeper wakes when something falls due, not every second (SPEC §6.7): the nearest lease
/// expiry or stale heartbeat decides, and a new lease wakes a sweeper sleeping past its end.
@Suite struct DispatcherSweeperTests {
    static let tenant = "default"

    /// Whether the running sweeper settles on sleeping until `ms` (40 s allow for a full run
    /// keeping the cooperative threads busy; the sleeps these tests tell apart are 60 s).
    static func sweeperSleeps(_ core: Core, until ms: Int64) async -> Bool {
        await eventually(timeout: .seconds(40)) { core.dispatcher.sweepAtMs.load(ordering: .relaxed) == ms }
    }

    static func settings(leaseS: Int64 = 5, staleAfterS: Int64 = 15) -> DispatchSettings {
        DispatchSettings(config: ["router": ["lease_s": .int(leaseS), "stale_after_s": .int(staleAfterS)]])
    }

    @Test func theNextSweepIsTheNearestLeaseExpiryOrStaleHeartbeat() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open(dispatch: Self.settings())
            let start = fixture.clock.now
            // Nothing to watch: the longest gap.
            #expect(core.dispatcher.nextSweepDueMs(now: start) == start + Dispatcher.maxSweepGapMs)
            _ = try await core.dispatcher.presence(
                PresenceReport(instance: "w1", provider: "dry-run"), tenant: Self.tenant)
            #expect(core.dispatcher.nextSweepDueMs(now: start) == start + 15_000)
            _ = try await core.dispatcher.create(JobSpec(prompt: "p", provider: "dry-run"), tenant: Self.tenant)
            fixture.clock.advance(ms: 2_000)
            let lease = try #require(try await core.dispatcher.lease(worker: "w1", tenant: Self.tenant, wait: .zero))
            #expect(lease.expiresInMs == 5_000)
            #expect(core.dispatcher.nextSweepDueMs(now: fixture.clock.now) == start + 2_000 + 5_000)
            // A worker that said it goes offline is not watched.
            _ = try await core.dispatcher.presence(
                PresenceReport(instance: "w2", status: .offline, provider: "dry-run"), tenant: Self.tenant)
            #expect(core.dispatcher.nextSweepDueMs(now: fixture.clock.now) == start + 7_000)
        }
    }

    /// The worker's heartbeat goes stale in an hour: the sweeper sleeps its longest gap (60 s). A
    /// lease of one second then wakes it, and the job is requeued once that lease ends. Without
    /// the wake-up the sweep would come a minute later and these 40 s waits would time out. (The
    /// waits are long because a full run can keep the cooperative threads busy for 30 s.)
    @Test func aNewLeaseWakesASweeperSleepingPastItsEnd() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open(dispatch: Self.settings(leaseS: 1, staleAfterS: 3600))
            _ = try await core.dispatcher.presence(
                PresenceReport(instance: "w1", provider: "dry-run"), tenant: Self.tenant)
            let sweeper = Task { await core.dispatcher.runSweeper(log: { _ in }) }
            defer { sweeper.cancel() }
            #expect(
                await Self.sweeperSleeps(core, until: fixture.clock.now + 60_001))
            let job = try await core.dispatcher.create(JobSpec(prompt: "p", provider: "dry-run"), tenant: Self.tenant)
            _ = try #require(try await core.dispatcher.lease(worker: "w1", tenant: Self.tenant, wait: .zero))
            #expect(
                await Self.sweeperSleeps(core, until: fixture.clock.now + 1_001))
            fixture.clock.advance(ms: 1_001)
            _ = try await core.dispatcher.presence(
                PresenceReport(instance: "w1", provider: "dry-run"), tenant: Self.tenant)
            #expect(
                await eventually(timeout: .seconds(40)) {
                    (try? await core.dispatcher.job(job.id, tenant: Self.tenant).attempt) == 2
                })
        }
    }

    /// A worker coming online goes stale at its heartbeat + stale_after: a sweeper sleeping the
    /// longest gap (nothing watched) is woken to sleep toward that instead.
    @Test func aWorkerComingOnlineWakesTheSweeper() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open(dispatch: Self.settings(staleAfterS: 2))
            let sweeper = Task { await core.dispatcher.runSweeper(log: { _ in }) }
            defer { sweeper.cancel() }
            let start = fixture.clock.now
            #expect(
                await Self.sweeperSleeps(core, until: start + Dispatcher.maxSweepGapMs + 1))
            _ = try await core.dispatcher.presence(
                PresenceReport(instance: "w1", provider: "dry-run"), tenant: Self.tenant)
            #expect(
                await Self.sweeperSleeps(core, until: start + 2_001))
        }
    }

    /// A shorter stale_after_s from a config change applies to the sleeping sweeper at once.
    @Test func newSettingsWakeTheSweeper() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open(dispatch: Self.settings(staleAfterS: 3600))
            _ = try await core.dispatcher.presence(
                PresenceReport(instance: "w1", provider: "dry-run"), tenant: Self.tenant)
            let sweeper = Task { await core.dispatcher.runSweeper(log: { _ in }) }
            defer { sweeper.cancel() }
            let start = fixture.clock.now
            #expect(
                await Self.sweeperSleeps(core, until: start + 60_001))
            core.dispatcher.apply(Self.settings(staleAfterS: 15))
            #expect(
                await Self.sweeperSleeps(core, until: start + 15_001))
        }
    }

    /// A sweep that fails leaves its work due: the next try comes a second later, not at once
    /// (a closed database here; a full disk in production).
    @Test func aFailingSweepIsRetriedASecondLater() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open(dispatch: Self.settings(staleAfterS: 1))
            _ = try await core.dispatcher.presence(
                PresenceReport(instance: "w1", provider: "dry-run"), tenant: Self.tenant)
            fixture.clock.advance(ms: 5_000)
            await core.database.close()
            let failures = Mutex(0)
            let sweeper = Task { await core.dispatcher.runSweeper(log: { _ in failures.withLock { $0 += 1 } }) }
            defer { sweeper.cancel() }
            #expect(await eventually(timeout: .seconds(40)) { failures.withLock { $0 } >= 1 })
            let first = failures.withLock { $0 }
            try await Task.sleep(for: .milliseconds(2_000))
            let more = failures.withLock { $0 } - first
            // A second apart: at most about two more in two seconds (a spinning loop makes thousands).
            #expect(more <= 4, "\(more) more failed sweeps in 2 s")
        }
    }

    /// Workers by state are counted when scraped: a worker going silent shows as offline without
    /// a sweep having run.
    @Test func workerGaugesAreCountedWhenScraped() async throws {
        try await CoreFixture.with { fixture in
            let registry = MetricsRegistry()
            let path = fixture.directory.path + "/gauges.db"
            let clock = fixture.clock.dispatchClock
            // Opening, migrating and loading block on the file: off the cooperative threads.
            let (database, dispatcher) = try await offPool { () -> (Database, Dispatcher) in
                let database = try Database(path: path)
                _ = try database.migrate(BatonMigrations.all())
                let dispatcher = try Dispatcher(
                    database: database, events: try EventBus(database: database), settings: Self.settings(),
                    metrics: registry, clock: clock)
                return (database, dispatcher)
            }
            defer { database.close() }
            _ = try await dispatcher.presence(PresenceReport(instance: "w1", provider: "dry-run"), tenant: Self.tenant)
            #expect(registry.exposition().contains("baton_workers{state=\"online\"} 1\n"))
            fixture.clock.advance(ms: 15_000)
            let text = registry.exposition()
            #expect(
                text.contains("baton_workers{state=\"online\"} 0\n")
                    && text.contains("baton_workers{state=\"offline\"} 1\n"), "\(text)")
        }
    }
}

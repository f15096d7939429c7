import BatonCore
import BatonJSON
import BatonStore
import Synchronization

/// Owns jobs, workers, the killswitch and the cost ledger for every tenant: the one place that
/// changes them. SQLite is the source of truth; the in-memory state (queue, leases, workers) is a
/// cache of it, changed only inside write transactions on the database's single writer thread,
/// so every decision is serialised without locks of its own beyond the state's mutex.
public final class Dispatcher: Sendable {
    public let database: Database
    public let events: EventBus
    let clock: DispatchClock
    let state: Mutex<DispatchState>
    private let settingsBox: Mutex<DispatchSettings>
    let waiters = LeaseWaiters()
    let metrics: DispatchMetrics?
    /// Wakes the sweeper before the moment it sleeps until (`sweepAtMs`) when something falls
    /// due earlier: a new lease, a worker that came online (SPEC §6.7).
    let sweepWake = WakeSignal()
    let sweepAtMs = Atomic<Int64>(.max)
    /// `baton_workers` as last counted (online, offline, paused, busy, idle).
    let lastWorkerCounts = Mutex<[Int]>([0, 0, 0, 0, 0])
    /// Jobs' API forms as last read, while their rows have not changed (`jobJSON`).
    let jobJSONCache: JobJSONCache

    /// Loads the live state from the database; blocks, so call it at start-up.
    public init(
        database: Database, events: EventBus, settings: DispatchSettings = DispatchSettings(),
        metrics: MetricsRegistry? = nil, clock: DispatchClock = .system
    ) throws {
        self.database = database
        self.events = events
        self.clock = clock
        let cache = JobJSONCache(writesEnded: { database.writesEnded })
        jobJSONCache = cache
        // Whatever changes a job row (this process's writer) drops that job's kept form.
        database.watchRows(of: "jobs") { [weak cache] ids in cache?.drop(ids) }
        settingsBox = Mutex(settings)
        let now = clock.now()
        let loaded = try database.readBlocking { conn in
            try DispatchState.load(from: conn, now: now, settings: settings)
        }
        state = Mutex(loaded)
        self.metrics = metrics.map(DispatchMetrics.init(registry:))
        self.metrics?.jobs(loaded.statusCounts)
        // Counted when scraped, so they are right between sweeps (which run only when due).
        try? metrics?.callbackGauge(
            name: "baton_workers", help: "Workers by state (online, offline, paused, busy, idle).", labelName: "state"
        ) { [weak self] in self?.workerCounts() ?? [] }
    }

    /// The dispatcher's clock reading (ms since the epoch): the time every transaction sees.
    public var now: Int64 { clock.now() }

    public var settings: DispatchSettings { settingsBox.withLock { $0 } }

    /// Applies new settings (the config changed); weights and limits take effect at the next decision.
    /// The sweeper recomputes its deadline: a shorter `stale_after_s` may make it due sooner.
    public func apply(_ settings: DispatchSettings) {
        settingsBox.withLock { $0 = settings }
        sweepWake.signal()
    }

    /// Takes settings from `config` now and again whenever it changes (overlay edits apply at once).
    public func follow(_ config: ConfigStore) {
        apply(DispatchSettings(config: config.effective))
        config.onChange { [weak self] effective in self?.apply(DispatchSettings(config: effective)) }
    }

    // MARK: The write path

    /// Runs `body` in a write transaction with the state in hand; delivers its events and wakes
    /// its workers once committed. A failure after memory changed marks the state for reload.
    public func mutate<T: Sendable>(_ body: @escaping @Sendable (inout DispatchTxn) throws -> T) async throws -> T {
        let settings = self.settings
        let clock = self.clock
        let outcome: (T, [Event], Set<WorkerKey>, DispatchTxn.Observations, [JobStatus: Int])
        do {
            outcome = try await database.write { [self] conn in
                try self.state.withLock { memory in
                    if memory.needsReload {
                        memory = try DispatchState.load(from: conn, now: clock.now(), settings: settings)
                    }
                    var txn = DispatchTxn(conn: conn, now: clock.now(), settings: settings)
                    swap(&txn.state, &memory)
                    defer { swap(&txn.state, &memory) }
                    do {
                        let value = try body(&txn)
                        return (value, txn.events, txn.wake, txn.observations, txn.state.statusCounts)
                    } catch let refusal as any Refusal {
                        throw refusal
                    } catch {
                        txn.state.needsReload = true
                        throw error
                    }
                }
            }
        } catch let refusal as any Refusal {
            throw refusal
        } catch {
            // The transaction may have failed at COMMIT after memory moved on: rebuild from disk.
            state.withLock { $0.needsReload = true }
            throw error
        }
        events.didCommit(outcome.1)
        if !outcome.2.isEmpty { waiters.wake(outcome.2) }
        metrics?.record(outcome.3)
        // The counts travel out of the transaction: reading them here would take the state's
        // lock again, against the writer thread.
        metrics?.jobs(outcome.4)
        return outcome.0
    }

    // MARK: Jobs

    /// `POST /api/jobs`: a pending job, dispatched by the scheduler when a worker is eligible.
    public func create(_ spec: JobSpec, tenant: String) async throws -> Job {
        try await mutate { txn in
            let killswitch = txn.board(tenant).killswitch
            if killswitch.rejectsJobs {
                throw DispatchError.locked(
                    "the killswitch is at level \(killswitch.level) (\(killswitch.reason)); new jobs are refused")
            }
            return try txn.insertScheduled(spec, tenant: tenant)
        }
    }

    /// `POST /dispatch`: routes at once, or refuses with the reasons and leaves no job behind.
    public func dispatch(_ spec: JobSpec, tenant: String) async throws -> Job {
        do {
            return try await routeAtOnce(spec, tenant: tenant)
        } catch DispatchError.noEligibleWorker(let decision) {
            metrics?.dispatches?.labels("no_worker").inc()
            throw DispatchError.noEligibleWorker(decision)
        }
    }

    private func routeAtOnce(_ spec: JobSpec, tenant: String) async throws -> Job {
        try await mutate { txn in
            let decision = try Dispatcher.routeNow(spec, tenant: tenant, txn: txn)
            guard decision.winner != nil else {
                throw DispatchError.noEligibleWorker(decision)
            }
            let id = try txn.insert(spec, tenant: tenant)
            try txn.assign(id, decision: decision)
            return try txn.job(id)
        }
    }

    /// Routes a job that is not stored yet. A function of its own so the board copy it reads is
    /// gone before the assignment mutates the board (no copy-on-write of the whole fleet).
    private static func routeNow(_ spec: JobSpec, tenant: String, txn: DispatchTxn) throws -> RoutingDecision {
        let board = txn.board(tenant)
        if board.killswitch.holdsDispatch {
            throw DispatchError.locked(
                "the killswitch is at level \(board.killswitch.level) (\(board.killswitch.reason)); nothing is dispatched"
            )
        }
        var request = RoutingRequest(provider: spec.provider, model: spec.model, tier: spec.tier, tags: spec.tags)
        request.previousWorker = spec.issue.flatMap { board.lastWorkerByIssue[$0] }
        return JobRouter.route(
            request, in: board.workers, weights: txn.settings.weights, now: txn.now,
            staleAfterMs: txn.settings.staleAfterMs)
    }

    public func job(_ id: Int64, tenant: String, worker: String? = nil) async throws -> Job {
        // A lookup by key: on the calling event loop when an inline connection is free (SPEC §1.3).
        try Self.visible(
            try await database.keyedRead { conn in try Job.load(id: id, tenant: tenant, from: conn) }, id,
            to: worker)
    }

    /// The API form of a job (`Job.jsonText`), written from its row in place (`GET
    /// /api/jobs/:id`), or kept from an earlier read when nothing changed since; the same
    /// visibility as `job`.
    public func jobJSON(_ id: Int64, tenant: String, worker: String? = nil) async throws -> [UInt8] {
        if let kept = jobJSONCache.json(id, tenant: tenant) { return try Self.visible(kept, id, to: worker) }
        let ended = database.writesEnded
        let json = try await database.keyedRead { conn in try Job.storedJSON(id: id, tenant: tenant, from: conn) }
        return try keep(json, id, tenant: tenant, readAfter: ended, to: worker)
    }

    /// `jobJSON` without suspending: kept, or read when an inline read connection is free; nil
    /// when none is (the caller then uses `jobJSON`). A lookup by key, so an event loop may run
    /// it (SPEC §1.3).
    public func jobJSONNow(_ id: Int64, tenant: String, worker: String? = nil) throws -> [UInt8]? {
        if let kept = jobJSONCache.json(id, tenant: tenant) { return try Self.visible(kept, id, to: worker) }
        let ended = database.writesEnded
        // One SELECT (a second only for a row `Job(row:)` refuses, to report it).
        guard
            let outcome = database.keyedReadNow(
                oneStatement: true, { conn in try Job.storedJSON(id: id, tenant: tenant, from: conn) })
        else { return nil }
        return try keep(try outcome.get(), id, tenant: tenant, readAfter: ended, to: worker)
    }

    /// Keeps what a read begun after `ended` changes found, and answers it as `worker` may see it.
    private func keep(_ json: StoredJobJSON?, _ id: Int64, tenant: String, readAfter ended: UInt64, to worker: String?)
        throws -> [UInt8]
    {
        if let json { jobJSONCache.store(json, id: id, tenant: tenant, readAfter: ended) }
        return try Self.visible(json, id, to: worker)
    }

    private static func visible(_ json: StoredJobJSON?, _ id: Int64, to worker: String?) throws -> [UInt8] {
        guard let json, json.isVisible(to: worker) else { throw DispatchError.notFound("no job \(id)") }
        return json.bytes
    }

    /// The job as `worker` (a worker key acting for itself) may see it: only its own.
    private static func visible(_ job: Job?, _ id: Int64, to worker: String?) throws -> Job {
        guard let job, worker == nil || job.worker == worker else { throw DispatchError.notFound("no job \(id)") }
        return job
    }

    public func jobs(tenant: String, status: JobStatus?, provider: String?, limit: Int, offset: Int) async throws
        -> (jobs: [Job], total: Int)
    {
        try await database.read { conn in
            try Job.list(tenant: tenant, status: status, provider: provider, limit: limit, offset: offset, from: conn)
        }
    }

    /// `PUT /api/jobs/:id`: tags, priority and tier, until the job has finished.
    public func update(_ id: Int64, tenant: String, tags: [String]?, priority: JobPriority?, tier: JobTier?)
        async throws -> Job
    {
        try await mutate { txn in
            let job = try txn.job(id, tenant: tenant)
            if job.status.isFinished {
                throw DispatchError.conflict("job \(id) is \(job.status.rawValue); a finished job cannot be changed")
            }
            try txn.conn.execute(
                "UPDATE jobs SET tags = ?2, priority = ?3, tier = ?4, updated_at = ?5 WHERE id = ?1",
                [
                    .integer(id), .text(StringListColumn.encode(tags ?? job.tags)),
                    .text((priority ?? job.priority).rawValue), .text((tier ?? job.tier).rawValue), .text(txn.nowText),
                ])
            var changed: [JSONValue] = []
            if tags != nil { changed.append("tags") }
            if priority != nil { changed.append("priority") }
            if tier != nil { changed.append("tier") }
            try txn.emit("job.updated", tenant: tenant, issue: job.issue, ["id": .int(id), "fields": .array(changed)])
            if var live = txn.state.live[id] {
                if let priority, live.status == .pending, priority != live.priority {
                    txn.state.tenants[tenant]?.pending.remove(id, priority: live.priority)
                    txn.state.tenants[tenant]?.pending.insert(id, priority: priority)
                }
                live.priority = priority ?? live.priority
                live.tags = tags ?? live.tags
                live.tier = tier ?? live.tier
                txn.state.live[id] = live
                if live.status == .pending { try txn.schedule(tenant) }
            }
            return try txn.job(id)
        }
    }

    /// Cancels a pending, assigned or running job. A running job's worker is told through its next
    /// events answer and a `cancel_job` command in its next heartbeat answer.
    public func cancel(_ id: Int64, tenant: String) async throws -> Job {
        try await mutate { txn in
            let job = try txn.job(id, tenant: tenant)
            if job.status.isFinished {
                throw DispatchError.conflict("job \(id) is already \(job.status.rawValue)")
            }
            try txn.cancel(job, error: "cancelled")
            return try txn.job(id)
        }
    }

    /// Requeues a failed or cancelled job, or a stuck one (its lease expired, or it is assigned to
    /// a worker that went offline), as a new attempt.
    public func retry(_ id: Int64, tenant: String) async throws -> Job {
        try await mutate { txn in
            let job = try txn.job(id, tenant: tenant)
            switch job.status {
            case .completed:
                throw DispatchError.conflict("job \(id) completed; it cannot be retried")
            case .pending:
                throw DispatchError.conflict("job \(id) is already pending")
            case .assigned, .running:
                let worker = job.worker.flatMap { txn.board(tenant).workers[$0] }
                let leaseExpired = job.status == .running && (job.leaseExpiresMs ?? 0) <= txn.now
                let workerGone = !(worker?.isOnline(now: txn.now, staleAfterMs: txn.settings.staleAfterMs) ?? false)
                guard leaseExpired || workerGone else {
                    throw DispatchError.conflict(
                        "job \(id) is \(job.status.rawValue) on \(job.worker ?? "a worker") with a live lease; cancel it first"
                    )
                }
            case .failed, .cancelled:
                break
            }
            try txn.requeue(job, bumpAttempt: true, reason: "retried")
            try txn.schedule(tenant)
            return try txn.job(id)
        }
    }

    /// Queues a steering message for a running job's agent; it is handed over in the next events answer.
    public func steer(_ id: Int64, tenant: String, message: String) async throws {
        try await mutate { txn in
            let job = try txn.job(id, tenant: tenant)
            guard !job.status.isFinished else {
                throw DispatchError.conflict("job \(id) is \(job.status.rawValue); it cannot be steered")
            }
            try txn.conn.execute(
                "INSERT INTO job_steers (job_id, message, created_at) VALUES (?1, ?2, ?3)",
                [.integer(id), .text(message), .text(txn.nowText)])
            try txn.emit("job.steered", tenant: tenant, issue: job.issue, ["id": .int(id)])
            txn.state.jobsWithSteers.insert(id)
        }
    }

    // MARK: Cost

    public func costTotals(tenant: String, period: CostPeriod) async throws -> (
        since: String, totals: CostLedger.Totals
    ) {
        let since = Timestamp.format(milliseconds: period.start(containing: clock.now()))
        let totals = try await database.read { conn in try CostLedger.total(tenant: tenant, since: since, in: conn) }
        return (since, totals)
    }

    /// Every tenant's spend in the current `period` (the system tenant's view, SPEC §6.15).
    public func costByTenant(period: CostPeriod) async throws -> (
        since: String, tenants: [(tenant: String, totals: CostLedger.Totals)]
    ) {
        let since = Timestamp.format(milliseconds: period.start(containing: clock.now()))
        let rows = try await database.read { conn in try CostLedger.byTenant(since: since, in: conn) }
        return (since, rows)
    }

    /// Spend per UTC day over the last `days` days, today included (SPEC §6.15).
    public func costDaily(tenant: String, days: Int) async throws -> (since: String, days: [CostLedger.Day]) {
        let dayMs: Int64 = 86_400_000
        let today = clock.now() / dayMs * dayMs
        let since = Timestamp.format(milliseconds: today - Int64(max(0, days - 1)) * dayMs)
        let rows = try await database.read { conn in try CostLedger.daily(tenant: tenant, since: since, in: conn) }
        return (since, rows)
    }

    public func costBreakdown(tenant: String, period: CostPeriod) async throws -> (
        since: String, lines: [CostLedger.Line]
    ) {
        let since = Timestamp.format(milliseconds: period.start(containing: clock.now()))
        let lines = try await database.read { conn in try CostLedger.breakdown(tenant: tenant, since: since, in: conn) }
        return (since, lines)
    }
}

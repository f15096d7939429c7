import BatonCore
import BatonCrypto
import BatonJSON
import BatonStore
import BatonWorkerProtocol

/// One dispatcher change, run on the database's writer thread with the in-memory state in hand.
/// Every helper writes its SQL first and changes memory after, so an SQL error leaves memory as
/// it was; the events it inserts are delivered and the workers it names are woken only after commit.
/// The orchestrator's `IssueTxn` composes with it (SPEC §9): it holds one for the duration of
/// its change and uses only the public operations below, never its memory.
public struct DispatchTxn {
    public let conn: Connection
    /// The transaction's clock reading (ms since the epoch) and its ISO 8601 text.
    public let now: Int64
    public let nowText: String
    let settings: DispatchSettings
    var state = DispatchState()
    var events: [Event] = []
    var wake: Set<WorkerKey> = []
    var observations = Observations()

    /// What the metrics learn from this change, recorded after it commits.
    struct Observations: Sendable {
        var dispatchLatencies: [Double] = []
        var costs: [(provider: String, model: String, usd: Double, input: Int64, output: Int64)] = []
        var killswitchLevels: [String: Int] = [:]
    }

    init(conn: Connection, now: Int64, settings: DispatchSettings) {
        self.conn = conn
        self.now = now
        self.nowText = Timestamp.format(milliseconds: now)
        self.settings = settings
    }

    /// Hands this transaction to one that composes with it, leaving an empty one behind; the
    /// composer swaps it back before the closure returns. A move, so the dispatcher's memory is
    /// never copied.
    public mutating func handOver() -> DispatchTxn {
        var taken = DispatchTxn(conn: conn, now: now, settings: settings)
        swap(&taken, &self)
        return taken
    }

    // MARK: Savepoints

    /// Where a savepoint began: what to cut back to if it rolls back.
    public struct SavepointMark {
        let events: Int
        let wake: Set<WorkerKey>
        let observations: Observations
    }

    /// Opens a savepoint: a part of the transaction that can fail alone (one bad webhook delivery
    /// in a batch). Pair with `release` or `rollback`.
    public mutating func beginSavepoint() throws -> SavepointMark {
        try conn.execute("SAVEPOINT part")
        return SavepointMark(events: events.count, wake: wake, observations: observations)
    }

    public mutating func release(_ mark: SavepointMark) throws {
        try conn.execute("RELEASE part")
    }

    /// Undoes the savepoint's SQL, its events, wakes and observations. Memory may have moved with
    /// the SQL, so unless `error` is a refusal (thrown before any change) it is rebuilt from disk
    /// before the next transaction.
    public mutating func rollback(to mark: SavepointMark, after error: any Error) throws {
        try conn.execute("ROLLBACK TO part")
        try conn.execute("RELEASE part")
        if !(error is any Refusal) { state.needsReload = true }
        events.removeSubrange(mark.events...)
        wake = mark.wake
        observations = mark.observations
    }

    // MARK: What a composing transaction may ask

    /// Whether `tenant`'s killswitch refuses new jobs now.
    public func rejectsJobs(tenant: String) -> Bool { board(tenant).killswitch.rejectsJobs }

    /// Whether `worker` is registered with `tenant` (online or not).
    public func knowsWorker(_ worker: String, tenant: String) -> Bool { board(tenant).workers[worker] != nil }

    // MARK: Events and reads

    /// Inserts an event; it is delivered to subscribers after COMMIT.
    public mutating func emit(_ type: String, tenant: String, issue: String? = nil, _ data: JSONValue) throws {
        events.append(
            try EventBus.insert(
                EventDraft(type: type, tenant: tenant, issue: issue, data: data.text), into: conn, at: nowText))
    }

    public func job(_ id: Int64) throws -> Job {
        guard let job = try Job.load(id: id, from: conn) else {
            throw DispatchError.notFound("no job \(id)")
        }
        return job
    }

    /// The job of `tenant` with `id`; when `worker` is given, only if that worker holds it.
    func job(_ id: Int64, tenant: String, worker: String? = nil) throws -> Job {
        guard let job = try Job.load(id: id, tenant: tenant, from: conn), worker == nil || job.worker == worker else {
            throw DispatchError.notFound("no job \(id)")
        }
        return job
    }

    func board(_ tenant: String) -> TenantBoard { state.tenants[tenant] ?? TenantBoard() }

    // MARK: Jobs entering the queue

    mutating func insert(_ spec: JobSpec, tenant: String) throws -> Int64 {
        try insert(spec, tenant: tenant, assigning: nil).id
    }

    /// `POST /api/jobs`: a new job, stored already assigned when a worker can take it now (one
    /// row write instead of an insert and an update), else pending. The scheduler's invariant
    /// holds either way: after every pass no older pending job fits any worker, and a new job
    /// changes no worker, so only the new job needs routing.
    public mutating func insertScheduled(_ spec: JobSpec, tenant: String) throws -> Job {
        let decision = routeNew(spec, tenant: tenant)
        return try insert(spec, tenant: tenant, assigning: decision?.winner == nil ? nil : decision)
    }

    /// The decision for a job not stored yet, or nil while the tenant cannot dispatch. Not
    /// mutating, so the board it reads is released before the insert changes it.
    private func routeNew(_ spec: JobSpec, tenant: String) -> RoutingDecision? {
        guard let board = state.tenants[tenant], !board.killswitch.holdsDispatch, !board.workers.isEmpty else {
            return nil
        }
        var request = RoutingRequest(provider: spec.provider, model: spec.model, tier: spec.tier, tags: spec.tags)
        request.previousWorker = spec.issue.flatMap { board.lastWorkerByIssue[$0] }
        return JobRouter.route(
            request, in: board.workers, weights: settings.weights, now: now, staleAfterMs: settings.staleAfterMs)
    }

    private mutating func insert(_ spec: JobSpec, tenant: String, assigning decision: RoutingDecision?) throws -> Job {
        let winner = decision?.winner
        let routing = decision.map { $0.json(decidedAt: nowText).text }
        try conn.execute(
            """
            INSERT INTO jobs (tenant, status, prompt, input, provider, model, priority, tier, tags, issue, created_at,
                updated_at, worker, assigned_at, routing, context) VALUES (?1, ?11, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
                ?10, ?12, ?13, ?14, ?15)
            """,
            [
                .text(tenant), .text(spec.prompt), spec.input.map(SQLValue.text) ?? .null, .text(spec.provider),
                spec.model.map(SQLValue.text) ?? .null, .text(spec.priority.rawValue), .text(spec.tier.rawValue),
                .text(StringListColumn.encode(spec.tags)), spec.issue.map(SQLValue.text) ?? .null, .text(nowText),
                .text(winner == nil ? JobStatus.pending.rawValue : JobStatus.assigned.rawValue),
                winner.map(SQLValue.text) ?? .null, winner == nil ? .null : .text(nowText),
                routing.map(SQLValue.text) ?? .null,
                spec.context.isEmpty ? .null : .text(JSONValue.object(spec.context.mapValues(JSONValue.string)).text),
            ])
        let id = conn.lastInsertRowID
        try emit(
            "job.created", tenant: tenant, issue: spec.issue,
            [
                "id": .int(id), "provider": .string(spec.provider), "priority": .string(spec.priority.rawValue),
                "tier": .string(spec.tier.rawValue),
            ])
        if let winner, let decision {
            try emit(
                "job.assigned", tenant: tenant, issue: spec.issue,
                [
                    "id": .int(id), "worker": .string(winner), "attempt": 1,
                    "score": .double(RoutingDecision.round(decision.score)),
                ])
        }
        let live = LiveJob(
            id: id, tenant: tenant, status: winner == nil ? .pending : .assigned, priority: spec.priority,
            provider: spec.provider, model: spec.model, tier: spec.tier, tags: spec.tags, issue: spec.issue,
            worker: winner, attempt: 1, leaseToken: nil, leaseExpiresMs: nil, queuedAtMs: now)
        state.live[id] = live
        if let winner {
            state.tenants[tenant, default: TenantBoard()].assigned[winner, default: []].append(id)
            state.tenants[tenant]?.workers[winner]?.active += 1
            state.count(.assigned, 1)
            observations.dispatchLatencies.append(0)
            wake.insert(WorkerKey(tenant: tenant, instance: winner))
        } else {
            state.tenants[tenant, default: TenantBoard()].pending.insert(id, priority: spec.priority)
            state.count(.pending, 1)
        }
        return Job(new: spec, id: id, tenant: tenant, at: nowText, worker: winner, routing: routing)
    }

    /// Puts a job back in the queue: from assigned or running (its worker's slot is released) or
    /// from failed or cancelled (an explicit retry). `bumpAttempt` counts a new attempt.
    mutating func requeue(_ job: Job, bumpAttempt: Bool, reason: String) throws {
        let attempt = job.attempt + (bumpAttempt ? 1 : 0)
        try conn.execute(
            """
            UPDATE jobs SET status = 'pending', worker = NULL, attempt = ?2, assigned_at = NULL, started_at = NULL,
                finished_at = NULL, result = NULL, error = ?3, lease_token = NULL, lease_expires_ms = NULL,
                cancel_requested = 0, updated_at = ?4 WHERE id = ?1
            """, [.integer(job.id), .integer(Int64(attempt)), .text(reason), .text(nowText)])
        try emit(
            "job.requeued", tenant: job.tenant, issue: job.issue,
            [
                "id": .int(job.id), "attempt": .int(Int64(attempt)), "reason": .string(reason),
                "previous_worker": job.worker.map(JSONValue.string) ?? .null,
            ])
        if let live = state.live[job.id], let worker = live.worker, live.status == .assigned || live.status == .running
        {
            if live.status == .assigned { state.tenants[job.tenant]?.assigned[worker]?.removeAll { $0 == job.id } }
            try releaseSlot(tenant: job.tenant, worker: worker)
        }
        state.count(state.live[job.id]?.status ?? job.status, -1)
        state.count(.pending, 1)
        var live = state.live[job.id] ?? LiveJob(job, queuedAtMs: now)
        live.status = .pending
        live.worker = nil
        live.attempt = attempt
        live.leaseToken = nil
        live.leaseExpiresMs = nil
        live.queuedAtMs = now
        state.live[job.id] = live
        state.tenants[job.tenant, default: TenantBoard()].pending.insert(job.id, priority: live.priority)
    }

    // MARK: Assignment

    /// Hands pending jobs of `tenant` to workers, by priority then age, until no job fits. Jobs
    /// that ask for the same thing as one that found no worker in this pass are skipped, so a
    /// backlog nobody can serve costs one routing per kind of job, not one per job.
    mutating func schedule(_ tenant: String) throws {
        guard let candidates = scheduleCandidates(tenant) else { return }
        let workerIndependent: Set<Rejection> = [.offline, .paused, .capacity]
        var unplaceable: Set<RoutingSignature> = []
        for id in candidates {
            guard let (request, decision) = route(id, tenant: tenant, skipping: unplaceable) else { continue }
            if decision.winner != nil {
                try assign(id, decision: decision)
            } else if decision.eligible == 0 && Set(decision.rejectedByReason.keys).isSubset(of: workerIndependent) {
                // Every worker is full, paused or gone: no later job can fit either.
                break
            } else {
                unplaceable.insert(RoutingSignature(request))
            }
        }
    }

    /// Pending ids worth trying, or nil when nothing can be dispatched. Reads without keeping a
    /// copy of the board alive, so the assignments that follow mutate it in place.
    private func scheduleCandidates(_ tenant: String) -> [Int64]? {
        guard let board = state.tenants[tenant], !board.killswitch.holdsDispatch, board.pending.count > 0,
            !board.workers.isEmpty
        else { return nil }
        return board.pending.first(512).map(\.id)
    }

    private func route(_ id: Int64, tenant: String, skipping unplaceable: Set<RoutingSignature>) -> (
        RoutingRequest, RoutingDecision
    )? {
        guard let live = state.live[id], let board = state.tenants[tenant] else { return nil }
        var request = live.routingRequest
        request.previousWorker = live.issue.flatMap { board.lastWorkerByIssue[$0] }
        if unplaceable.contains(RoutingSignature(request)) { return nil }
        let decision = JobRouter.route(
            request, in: board.workers, weights: settings.weights, now: now,
            staleAfterMs: settings.staleAfterMs)
        return (request, decision)
    }

    /// Assigns a pending job to the decision's winner.
    mutating func assign(_ id: Int64, decision: RoutingDecision) throws {
        guard let winner = decision.winner, var live = state.live[id] else { return }
        try conn.execute(
            """
            UPDATE jobs SET status = 'assigned', worker = ?2, assigned_at = ?3, updated_at = ?3, routing = ?4
            WHERE id = ?1
            """, [.integer(id), .text(winner), .text(nowText), .text(decision.json(decidedAt: nowText).text)])
        try emit(
            "job.assigned", tenant: live.tenant, issue: live.issue,
            [
                "id": .int(id), "worker": .string(winner), "attempt": .int(Int64(live.attempt)),
                "score": .double(RoutingDecision.round(decision.score)),
            ])
        state.tenants[live.tenant]?.pending.remove(id, priority: live.priority)
        state.tenants[live.tenant]?.assigned[winner, default: []].append(id)
        state.tenants[live.tenant]?.workers[winner]?.active += 1
        state.count(.pending, -1)
        state.count(.assigned, 1)
        observations.dispatchLatencies.append(Double(max(0, now - live.queuedAtMs)) / 1000)
        live.status = .assigned
        live.worker = winner
        state.live[id] = live
        wake.insert(WorkerKey(tenant: live.tenant, instance: winner))
    }

    /// A job of `worker` ended or was taken back: its slot is free. Under a draining killswitch a
    /// worker whose last job ended is paused now.
    mutating func releaseSlot(tenant: String, worker: String) throws {
        guard var entry = state.tenants[tenant]?.workers[worker] else { return }
        entry.active = max(0, entry.active - 1)
        state.tenants[tenant]?.workers[worker] = entry
        if entry.active == 0 && !entry.paused && (state.tenants[tenant]?.killswitch.drains ?? false) {
            try setPaused(tenant: tenant, worker: worker, true, reason: "killswitch drain")
        }
    }

    /// Assigned jobs a worker has not leased go back to the queue (it paused, went offline, or
    /// the killswitch holds dispatch).
    mutating func takeBackAssigned(tenant: String, worker: String, reason: String) throws {
        let ids = state.tenants[tenant]?.assigned[worker] ?? []
        for id in ids {
            try requeue(try job(id), bumpAttempt: false, reason: reason)
        }
    }

    // MARK: Finishing

    /// Ends a live job as completed, failed or cancelled, releasing its worker's slot.
    /// What a finished attempt used, written with its final status.
    struct Usage {
        var tokensInput: Int64
        var tokensOutput: Int64
        var costUSD: Double
        var modelUsed: String? = nil
        var report: String? = nil
        var needsInput = false
    }

    private static func bindings(_ usage: Usage?) -> [SQLValue] {
        guard let usage else { return [.null, .null, .null, .null, .null, .null] }
        return [
            .integer(usage.tokensInput), .integer(usage.tokensOutput), .real(usage.costUSD),
            usage.modelUsed.map(SQLValue.text) ?? .null, usage.report.map(SQLValue.text) ?? .null,
            .integer(usage.needsInput ? 1 : 0),
        ]
    }

    mutating func finish(
        _ job: Job, as status: JobStatus, result: String? = nil, error: String? = nil, cancelRequested: Bool = false,
        usage: Usage? = nil
    ) throws {
        try conn.execute(
            """
            UPDATE jobs SET status = ?2, finished_at = ?3, updated_at = ?3, result = coalesce(?4, result),
                error = coalesce(?5, error), cancel_requested = ?6, tokens_input = coalesce(?7, tokens_input),
                tokens_output = coalesce(?8, tokens_output), cost_usd = coalesce(?9, cost_usd),
                model_used = coalesce(?10, model_used), report = coalesce(?11, report),
                needs_input = coalesce(?12, needs_input) WHERE id = ?1
            """,
            [
                .integer(job.id), .text(status.rawValue), .text(nowText), result.map(SQLValue.text) ?? .null,
                error.map(SQLValue.text) ?? .null, .integer(cancelRequested ? 1 : 0),
            ] + Self.bindings(usage))
        try emit(
            "job.\(status.rawValue)", tenant: job.tenant, issue: job.issue,
            [
                "id": .int(job.id), "worker": job.worker.map(JSONValue.string) ?? .null,
                "attempt": .int(Int64(job.attempt)), "error": error.map(JSONValue.string) ?? .null,
            ])
        guard let live = state.live.removeValue(forKey: job.id) else { return }
        state.count(live.status, -1)
        state.count(status, 1)
        switch live.status {
        case .pending:
            state.tenants[job.tenant]?.pending.remove(job.id, priority: live.priority)
        case .assigned:
            if let worker = live.worker {
                state.tenants[job.tenant]?.assigned[worker]?.removeAll { $0 == job.id }
                try releaseSlot(tenant: job.tenant, worker: worker)
            }
        case .running:
            if let worker = live.worker { try releaseSlot(tenant: job.tenant, worker: worker) }
        default:
            break
        }
        if let issue = job.issue, let worker = job.worker {
            state.tenants[job.tenant]?.lastWorkerByIssue.set(issue, worker, limit: settings.stickyIssues)
        }
    }

    // MARK: Workers

    mutating func setPaused(tenant: String, worker: String, _ paused: Bool, reason: String) throws {
        guard let entry = state.tenants[tenant]?.workers[worker], entry.paused != paused else { return }
        try conn.execute(
            "UPDATE workers SET paused = ?3 WHERE tenant = ?1 AND instance = ?2",
            [.text(tenant), .text(worker), .integer(paused ? 1 : 0)])
        try emit(
            paused ? "worker.paused" : "worker.resumed", tenant: tenant,
            ["instance": .string(worker), "reason": .string(reason)])
        state.tenants[tenant]?.workers[worker]?.paused = paused
        if paused { try takeBackAssigned(tenant: tenant, worker: worker, reason: "worker \(worker) paused") }
    }

    /// Queues a command for a worker's next heartbeat answer.
    /// Cancels an unfinished job: a running one's worker is told through its next events answer
    /// and a `cancel_job` command; the freed slot goes to the queue.
    public mutating func cancel(_ job: Job, error: String) throws {
        let running = job.status == .running
        try finish(job, as: .cancelled, error: error, cancelRequested: running)
        if running, let worker = job.worker {
            try command(tenant: job.tenant, worker: worker, .cancelJob(job.id))
        }
        try schedule(job.tenant)
    }

    public mutating func command(tenant: String, worker: String, _ command: WorkerCommand) throws {
        try conn.execute(
            "INSERT INTO worker_commands (tenant, instance, command, created_at) VALUES (?1, ?2, ?3, ?4)",
            [.text(tenant), .text(worker), .text(command.json.text), .text(nowText)])
        state.tenants[tenant, default: TenantBoard()].workersWithCommands.insert(worker)
    }

    // MARK: Killswitch

    mutating func setKillswitch(tenant: String, level: Int, reason: String, by actor: String) throws -> (
        cancelledJobs: Int, pausedWorkers: Int
    ) {
        let previous = board(tenant).killswitch
        let next = KillswitchState(level: level, reason: reason, setAt: nowText, setBy: actor)
        try KillswitchState.save(next, tenant: tenant, into: conn)
        try emit(
            "killswitch.changed", tenant: tenant,
            [
                "level": .int(Int64(level)), "previous_level": .int(Int64(previous.level)), "reason": .string(reason),
                "by": .string(actor),
            ])
        state.tenants[tenant, default: TenantBoard()].killswitch = next
        observations.killswitchLevels[tenant] = level
        var cancelled = 0
        let workers = board(tenant).workers
        let pausedBefore = workers.values.filter(\.paused).count
        if next.holdsDispatch {
            for name in workers.keys.sorted() {
                try takeBackAssigned(tenant: tenant, worker: name, reason: "killswitch level \(level) holds dispatch")
            }
        }
        if next.drains {
            let pending = board(tenant).pending.all()
            for id in pending {
                try finish(try job(id), as: .cancelled, error: "cancelled by killswitch level \(level): \(reason)")
                cancelled += 1
            }
        }
        if next.halts {
            let running = state.live.values.filter { $0.tenant == tenant && $0.status == .running }.map(\.id).sorted()
            for id in running {
                let job = try job(id)
                try finish(
                    job, as: .cancelled, error: "cancelled by killswitch level \(level): \(reason)",
                    cancelRequested: true)
                if let worker = job.worker {
                    try command(tenant: tenant, worker: worker, .cancelJob(id))
                }
                cancelled += 1
            }
        }
        if next.drains {
            for name in workers.keys.sorted() {
                guard let entry = state.tenants[tenant]?.workers[name], !entry.paused else { continue }
                if next.halts || entry.active == 0 {
                    try setPaused(tenant: tenant, worker: name, true, reason: "killswitch level \(level)")
                }
            }
        }
        // Workers paused here, or by a drain as their last job was cancelled above.
        let paused = board(tenant).workers.values.filter(\.paused).count - pausedBefore
        return (cancelled, paused)
    }

    // MARK: Cost

    /// Records a finished attempt's cost, and raises the killswitch when it crosses a budget.
    /// The cost of `job`'s tokens: the runner's figure, else the configured price table.
    /// By the model the agent used; when the price table knows only the model the job named (an
    /// alias the CLI resolved, say), by that one.
    func price(_ job: Job, reported: Double?) -> CostEntry {
        let used = CostEntry.price(
            provider: job.provider, model: job.billedModel, tokensInput: job.tokensInput,
            tokensOutput: job.tokensOutput,
            reported: reported, providers: settings.providers)
        guard used.source == .unpriced, job.modelUsed != nil, let named = job.model else { return used }
        return CostEntry.price(
            provider: job.provider, model: named, tokensInput: job.tokensInput, tokensOutput: job.tokensOutput,
            reported: nil, providers: settings.providers)
    }

    mutating func recordCost(_ job: Job, reported: Double?) throws {
        try recordCost(job, cost: price(job, reported: reported), updatingJob: true)
    }

    /// A ledger row for the attempt, the metrics, and the budget check; `updatingJob` also writes
    /// the cost into the job row (the completion path already did, with its final status).
    mutating func recordCost(_ job: Job, cost: CostEntry, updatingJob: Bool) throws {
        if updatingJob {
            try conn.execute("UPDATE jobs SET cost_usd = ?2 WHERE id = ?1", [.integer(job.id), .real(cost.usd)])
        }
        try CostLedger.record(job: job, cost: cost, at: nowText, into: conn)
        observations.costs.append((job.provider, job.billedModel ?? "", cost.usd, job.tokensInput, job.tokensOutput))
        try checkBudget(tenant: job.tenant, adding: cost.usd)
    }

    mutating func checkBudget(tenant: String, adding usd: Double) throws {
        guard settings.dailyLimitUSD != nil || settings.monthlyLimitUSD != nil else { return }
        let dayStart = CostPeriod.day.start(containing: now)
        let monthStart = CostPeriod.month.start(containing: now)
        var totals: SpendTotals
        if let known = state.spend[tenant], known.dayStart == dayStart, known.monthStart == monthStart {
            totals = known
            totals.dayUSD += usd
            totals.monthUSD += usd
        } else {
            // First check in this period: the ledger already holds this job's row.
            totals = SpendTotals(
                dayStart: dayStart,
                dayUSD: try CostLedger.total(
                    tenant: tenant, since: Timestamp.format(milliseconds: dayStart), in: conn
                ).usd,
                monthStart: monthStart,
                monthUSD: try CostLedger.total(
                    tenant: tenant, since: Timestamp.format(milliseconds: monthStart), in: conn
                ).usd)
        }
        state.spend[tenant] = totals
        let level = settings.onExceedLevel
        guard board(tenant).killswitch.level < level else { return }
        var reason: String?
        if let limit = settings.dailyLimitUSD, totals.dayUSD > limit {
            reason = "budget: today's spend \(money(totals.dayUSD)) exceeds budget.daily_limit_usd \(money(limit))"
        } else if let limit = settings.monthlyLimitUSD, totals.monthUSD > limit {
            reason =
                "budget: this month's spend \(money(totals.monthUSD)) exceeds budget.monthly_limit_usd \(money(limit))"
        }
        guard let reason else { return }
        _ = try setKillswitch(tenant: tenant, level: level, reason: reason, by: AuditActor.system.label)
        let entry = try AuditLog.insert(
            AuditDraft(
                tenant: tenant, actor: .system, action: "killswitch.raise", target: "/tenant/killswitch",
                requestID: nil, source: nil, status: nil,
                diff: ["level": .int(Int64(level)), "reason": .string(reason)]),
            into: conn, at: nowText)
        events.append(try EventBus.insert(AuditLog.eventDraft(entry), into: conn, at: nowText))
    }

    private func money(_ usd: Double) -> String {
        // A reported cost may be any finite number: Int64(_:) of one beyond 9e16 dollars would trap.
        guard usd.isFinite, abs(usd) < 1e15 else { return "$\(usd)" }
        let cents = (usd * 100).rounded()
        let whole = Int64(cents / 100)
        let rest = Int64(cents) - whole * 100
        return "$\(whole).\(rest < 10 ? "0" : "")\(rest)"
    }

    static func newLeaseToken(attempt: Int) -> String {
        "\(attempt)." + Hex.encode(SecureRandom.bytes(16))
    }
}

/// What a routing decision depends on from the job's side.
struct RoutingSignature: Hashable {
    var provider: String
    var model: String?
    var tier: JobTier
    var tags: [String]
    var previousWorker: String?

    init(_ r: RoutingRequest) {
        provider = r.provider
        model = r.model
        tier = r.tier
        tags = r.tags.sorted()
        previousWorker = r.previousWorker
    }
}

import BatonCrypto
import BatonJSON
import BatonStore

extension Dispatcher {
    /// A worker as the API shows it.
    public struct WorkerView: Sendable, Equatable {
        public var tenant: String
        public var entry: WorkerEntry
        public var online: Bool

        public var json: JSONValue {
            let r = entry.report
            return [
                "instance": .string(entry.instance), "status": .string(r.status.rawValue), "online": .bool(online),
                "paused": .bool(entry.paused), "tags": .array(r.tags.map(JSONValue.string)),
                "provider": .string(r.provider), "providers": .array(r.allProviders.map(JSONValue.string)),
                "capacity": .int(Int64(r.capacity)), "load": .int(Int64(r.load)),
                "active_jobs": .int(Int64(entry.active)), "tier": .string(entry.tier.rawValue),
                "models": .array(r.models.map(\.json)),
                "top_models": .array(r.topModels.map(\.json)), "node_url": r.nodeURL.map(JSONValue.string) ?? .null,
                "version": r.version.map(JSONValue.string) ?? .null,
                "workspaces": .array(r.workspaces.map(JSONValue.string)),
                "last_heartbeat_at": .string(Timestamp.format(milliseconds: entry.lastHeartbeatMs)),
                "first_seen_at": .string(entry.firstSeenAt),
                "jobs_completed": .int(Int64(entry.completed)), "jobs_failed": .int(Int64(entry.failed)),
            ]
        }
    }

    public struct PresenceAnswer: Sendable {
        public var worker: WorkerView
        public var commands: [JSONValue]
        public var heartbeatIntervalS: Int64
        public var staleAfterS: Int64
    }

    public struct Lease: Sendable {
        public var job: Job
        public var token: String
        public var expiresAt: String
    }

    /// `POST /api/jobs/:id/events`: what a worker reports while it runs a job.
    public struct ProgressReport: Sendable {
        public var token: String
        public var progress: JSONValue?
        public var tokensInput: Int64?
        public var tokensOutput: Int64?

        public init(token: String, progress: JSONValue? = nil, tokensInput: Int64? = nil, tokensOutput: Int64? = nil) {
            self.token = token
            self.progress = progress
            self.tokensInput = tokensInput
            self.tokensOutput = tokensOutput
        }
    }

    public struct ProgressAnswer: Sendable, Equatable {
        public var cancel: Bool
        public var steer: [JSONValue]
        public var leaseExpiresAt: String?
    }

    /// `POST /api/jobs/:id/complete`: how a job ended on its worker.
    public struct Completion: Sendable {
        public var token: String
        public var succeeded: Bool
        public var result: String?
        public var error: String?
        public var tokensInput: Int64?
        public var tokensOutput: Int64?
        public var costUSD: Double?
        /// The model the agent says it used.
        public var modelUsed: String?
        /// JSON object text: what the agent did (checked by the route).
        public var report: String?
        /// The agent stopped to ask a person (with `succeeded` false): SPEC §6.10.
        public var needsInput = false

        public init(
            token: String, succeeded: Bool = true, result: String? = nil, error: String? = nil,
            tokensInput: Int64? = nil, tokensOutput: Int64? = nil, costUSD: Double? = nil, modelUsed: String? = nil,
            report: String? = nil, needsInput: Bool = false
        ) {
            self.needsInput = needsInput
            self.modelUsed = modelUsed
            self.report = report
            self.token = token
            self.succeeded = succeeded
            self.result = result
            self.error = error
            self.tokensInput = tokensInput
            self.tokensOutput = tokensOutput
            self.costUSD = costUSD
        }
    }

    // MARK: Reading workers

    public func workers(tenant: String, onlineOnly: Bool = false) -> [WorkerView] {
        let now = clock.now()
        let stale = settings.staleAfterMs
        let entries = state.withLock { $0.tenants[tenant]?.workers.values ?? [] }
        return entries.map { WorkerView(tenant: tenant, entry: $0, online: $0.isOnline(now: now, staleAfterMs: stale)) }
            .filter { !onlineOnly || $0.online }.sorted { $0.entry.instance < $1.entry.instance }
    }

    public func worker(_ instance: String, tenant: String) throws -> WorkerView {
        guard let entry = state.withLock({ $0.tenants[tenant]?.workers[instance] }) else {
            throw DispatchError.notFound("no worker \(JSONText.quote(instance))")
        }
        return WorkerView(
            tenant: tenant, entry: entry,
            online: entry.isOnline(now: clock.now(), staleAfterMs: settings.staleAfterMs))
    }

    // MARK: Presence

    /// A heartbeat: registers or refreshes the worker, announces it when it comes online, hands
    /// over pending commands, and dispatches whatever it can now take.
    public func presence(_ report: PresenceReport, tenant: String) async throws -> PresenceAnswer {
        try await mutate { txn in
            let previous = txn.board(tenant).workers[report.instance]
            let heartbeat = txn.now
            try txn.conn.execute(
                """
                INSERT INTO workers (tenant, instance, status, tags, provider, providers, capacity, load, models,
                    node_url, version, first_seen_at, last_heartbeat_ms, workspaces, top_models, workspace_usage)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                ON CONFLICT (tenant, instance) DO UPDATE SET status = excluded.status, tags = excluded.tags,
                    provider = excluded.provider, providers = excluded.providers, capacity = excluded.capacity,
                    load = excluded.load, models = excluded.models, node_url = excluded.node_url,
                    version = excluded.version, last_heartbeat_ms = excluded.last_heartbeat_ms,
                    workspaces = excluded.workspaces, top_models = excluded.top_models,
                    workspace_usage = excluded.workspace_usage
                """,
                [
                    .text(tenant), .text(report.instance), .text(report.status.rawValue),
                    .text(Job.encodeStrings(report.tags)), .text(report.provider),
                    .text(Job.encodeStrings(report.providers)), .integer(Int64(report.capacity)),
                    .integer(Int64(report.load)), .text(Job.encodeModels(report.models)),
                    report.nodeURL.map(SQLValue.text) ?? .null, report.version.map(SQLValue.text) ?? .null,
                    .text(txn.nowText), .integer(heartbeat), .text(Job.encodeStrings(report.workspaces)),
                    .text(Job.encodeModels(report.topModels)),
                    .text(JSONValue.object(report.workspaceUsage.mapValues(\.json)).text),
                ])
            var entry =
                previous
                ?? WorkerEntry(report: report, lastHeartbeatMs: heartbeat, firstSeenAt: txn.nowText, online: false)
            entry.update(report)
            entry.lastHeartbeatMs = heartbeat
            let online = entry.isOnline(now: txn.now, staleAfterMs: txn.settings.staleAfterMs)
            if online != entry.online {
                try txn.emit(
                    online ? "worker.online" : "worker.offline", tenant: tenant,
                    [
                        "instance": .string(report.instance),
                        "reason": .string(online ? "heartbeat" : "reported offline"),
                    ])
            }
            entry.online = online
            // A workspace the last report had and this one does not was removed on the worker.
            if let previous {
                let kept = Set(report.workspaces)
                for name in previous.report.workspaces where !kept.contains(name) {
                    try txn.emit(
                        "workspace.removed", tenant: tenant, issue: TrackedIssue.isIdentifier(name) ? name : nil,
                        ["worker": .string(report.instance), "workspace": .string(name)])
                }
            }
            txn.state.tenants[tenant, default: TenantBoard()].workers[report.instance] = entry
            if !online {
                try txn.takeBackAssigned(tenant: tenant, worker: report.instance, reason: "worker reported offline")
            }
            var commands: [JSONValue] = []
            if txn.board(tenant).workersWithCommands.contains(report.instance) {
                let rows = try txn.conn.query(
                    """
                    SELECT id, command FROM worker_commands WHERE tenant = ?1 AND instance = ?2 AND delivered_at IS NULL
                    ORDER BY id
                    """, [.text(tenant), .text(report.instance)])
                try txn.conn.execute(
                    """
                    UPDATE worker_commands SET delivered_at = ?3 WHERE tenant = ?1 AND instance = ?2
                        AND delivered_at IS NULL
                    """, [.text(tenant), .text(report.instance), .text(txn.nowText)])
                commands = rows.compactMap { row in row.string(1).flatMap { try? JSONParser.parse(Array($0.utf8)) } }
                txn.state.tenants[tenant]?.workersWithCommands.remove(report.instance)
            }
            try txn.schedule(tenant)
            let final = txn.board(tenant).workers[report.instance] ?? entry
            return PresenceAnswer(
                worker: WorkerView(tenant: tenant, entry: final, online: online), commands: commands,
                heartbeatIntervalS: txn.settings.heartbeatIntervalS, staleAfterS: txn.settings.staleAfterMs / 1000)
        }
    }

    /// `GET /api/v1/workspaces`: every workspace in the inventories workers report, with what
    /// they say of it and whether a job that is not finished uses it.
    public func workspaces(tenant: String) async throws -> [JSONValue] {
        let workers = self.workers(tenant: tenant)
        let busy = try await database.read { conn in
            Set(
                try conn.query(
                    "SELECT issue, id FROM jobs WHERE tenant = ?1 AND finished_at IS NULL", [.text(tenant)]
                ).flatMap { row -> [String] in
                    [row.string(0), row.int64(1).map { "job-\($0)" }].compactMap { $0 }
                })
        }
        var out: [JSONValue] = []
        for view in workers.sorted(by: { $0.entry.instance < $1.entry.instance }) {
            let report = view.entry.report
            for name in report.workspaces {
                let usage = report.workspaceUsage[name] ?? WorkspaceUsage()
                out.append([
                    "key": .string(name), "worker": .string(report.instance), "worker_online": .bool(view.online),
                    "issue": TrackedIssue.isIdentifier(name) ? .string(name) : .null,
                    "path": usage.path.map(JSONValue.string) ?? .null, "bytes": usage.bytes.map(JSONValue.int) ?? .null,
                    "last_used": usage.lastUsed.map(JSONValue.string) ?? .null, "in_use": .bool(busy.contains(name)),
                ])
            }
        }
        return out
    }

    /// `DELETE /api/v1/workspaces/:key`: asks every worker that keeps the workspace to remove it
    /// (its before_remove hook first). 404 when no worker reports it, 409 while a job that is not
    /// finished uses it. Returns the workers asked; `workspace.removed` follows from each.
    public func removeWorkspace(_ key: String, tenant: String) async throws -> [String] {
        try await mutate { txn in
            let holders = txn.board(tenant).workers.values.filter { $0.report.workspaces.contains(key) }.map(\.instance)
                .sorted()
            guard !holders.isEmpty else {
                throw DispatchError.notFound("no worker reports a workspace \(JSONText.quote(key))")
            }
            let jobID = key.hasPrefix("job-") ? Int64(key.dropFirst(4)) : nil
            let running =
                try txn.conn.scalar(
                    "SELECT count(*) FROM jobs WHERE tenant = ?1 AND finished_at IS NULL AND (issue = ?2 OR id = ?3)",
                    [.text(tenant), .text(key), jobID.map(SQLValue.integer) ?? .null])?.intValue ?? 0
            if running > 0 {
                throw DispatchError.conflict(
                    "an attempt is running in workspace \(JSONText.quote(key)); abort it first")
            }
            for worker in holders {
                try txn.command(
                    tenant: tenant, worker: worker, ["kind": "remove_workspace", "workspace": .string(key)])
            }
            try txn.emit(
                "workspace.removing", tenant: tenant, issue: TrackedIssue.isIdentifier(key) ? key : nil,
                ["workspace": .string(key), "workers": .array(holders.map(JSONValue.string))])
            return holders
        }
    }

    /// Asks `worker` to remove its workspace `name` (after its before_remove hook); the command
    /// travels in the worker's next heartbeat answer.
    public func removeWorkspace(_ name: String, worker: String, tenant: String) async throws {
        try await mutate { txn in
            guard txn.board(tenant).workers[worker] != nil else {
                throw DispatchError.notFound("no worker \(JSONText.quote(worker))")
            }
            try txn.command(tenant: tenant, worker: worker, ["kind": "remove_workspace", "workspace": .string(name)])
        }
    }

    // MARK: Leases

    /// Long-polls for the next job assigned to `worker`, up to `wait`; nil when none came. The
    /// lease token it returns fences every later report: once the job is requeued, it is stale.
    public func lease(worker: String, tenant: String, wait: Duration) async throws -> Lease? {
        let key = WorkerKey(tenant: tenant, instance: worker)
        let deadline = ContinuousClock.now + wait
        while true {
            let seen = waiters.generation(key)
            if let lease = try await tryLease(worker: worker, tenant: tenant) { return lease }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, !Task.isCancelled else { return nil }
            await waiters.wait(key, seen: seen, timeout: remaining)
        }
    }

    private func tryLease(worker: String, tenant: String) async throws -> Lease? {
        let unknown = DispatchError.notFound(
            "no worker \(JSONText.quote(worker)) in this tenant; report presence (PUT /presence) first")
        // Most polls find nothing: answer those from memory without a write. While the writer
        // holds the state (it does for a whole transaction) go straight to the write instead of
        // waiting on the lock on the event loop: the write answers the same questions.
        let quick = state.withLockIfAvailable { state -> (known: Bool, hasWork: Bool) in
            let board = state.tenants[tenant]
            return (board?.workers[worker] != nil, !(board?.assigned[worker]?.isEmpty ?? true))
        }
        if let quick {
            guard quick.known else { throw unknown }
            guard quick.hasWork else { return nil }
        }
        return try await mutate { txn in
            guard txn.state.tenants[tenant]?.workers[worker] != nil else { throw unknown }
            guard let id = Dispatcher.leasable(worker: worker, tenant: tenant, txn: txn), var live = txn.state.live[id]
            else { return nil }
            let token = DispatchTxn.newLeaseToken(attempt: live.attempt)
            let expires = txn.now + txn.settings.leaseMs
            // Not UPDATE … RETURNING: SQLite gathers RETURNING rows in a temporary b-tree, which
            // costs more than reading the row back.
            try txn.conn.execute(
                """
                UPDATE jobs SET status = 'running', started_at = ?2, updated_at = ?2, lease_token = ?3,
                    lease_expires_ms = ?4 WHERE id = ?1
                """, [.integer(id), .text(txn.nowText), .text(token), .integer(expires)])
            try txn.emit(
                "job.started", tenant: tenant, issue: live.issue,
                ["id": .int(id), "worker": .string(worker), "attempt": .int(Int64(live.attempt))])
            txn.state.tenants[tenant]?.assigned[worker]?.removeFirst()
            txn.state.count(.assigned, -1)
            txn.state.count(.running, 1)
            live.status = .running
            live.leaseToken = token
            live.leaseExpiresMs = expires
            txn.state.live[id] = live
            return Lease(job: try txn.job(id), token: token, expiresAt: Timestamp.format(milliseconds: expires))
        }
    }

    /// The next job `worker` may lease now, read without keeping a copy of the board alive.
    private static func leasable(worker: String, tenant: String, txn: DispatchTxn) -> Int64? {
        guard let board = txn.state.tenants[tenant], !board.killswitch.holdsDispatch,
            let entry = board.workers[worker], !entry.paused
        else { return nil }
        return board.assigned[worker]?.first
    }

    /// A progress report: extends the lease and answers with `cancel` and pending steering.
    /// `worker` is the calling worker key's instance (nil for an admin).
    public func report(_ id: Int64, tenant: String, worker: String?, _ report: ProgressReport) async throws
        -> ProgressAnswer
    {
        try await mutate { txn in
            let job = try txn.job(id, tenant: tenant)
            try Dispatcher.checkLease(job, token: report.token, worker: worker)
            if job.status == .cancelled || job.cancelRequested {
                return ProgressAnswer(cancel: true, steer: [], leaseExpiresAt: nil)
            }
            guard job.status == .running, let live = txn.state.live[id] else {
                throw DispatchError.conflict("job \(id) is \(job.status.rawValue); it takes no more reports")
            }
            let expires = txn.now + txn.settings.leaseMs
            // A report with nothing new extends the lease but is not agent activity: `updated_at`
            // moves only with progress or tokens, so stall detection sees a silent agent (SPEC §6.9).
            let progressText = report.progress.map(\.text)
            try txn.conn.execute(
                """
                UPDATE jobs SET lease_expires_ms = ?2,
                    updated_at = CASE WHEN ?4 IS NULL AND ?5 IS NULL AND ?6 IS NULL THEN updated_at ELSE ?3 END,
                    progress = coalesce(?4, progress),
                    tokens_input = coalesce(?5, tokens_input), tokens_output = coalesce(?6, tokens_output)
                WHERE id = ?1
                """,
                [
                    .integer(id), .integer(expires), .text(txn.nowText), progressText.map(SQLValue.text) ?? .null,
                    report.tokensInput.map(SQLValue.integer) ?? .null,
                    report.tokensOutput.map(SQLValue.integer) ?? .null,
                ])
            var steer: [JSONValue] = []
            if txn.state.jobsWithSteers.contains(id) {
                let rows = try txn.conn.query(
                    "SELECT id, message, created_at FROM job_steers WHERE job_id = ?1 AND delivered_at IS NULL ORDER BY id",
                    [.integer(id)])
                try txn.conn.execute(
                    "UPDATE job_steers SET delivered_at = ?2 WHERE job_id = ?1 AND delivered_at IS NULL",
                    [.integer(id), .text(txn.nowText)])
                steer = rows.map { row in
                    [
                        "id": .int(row.int64(0) ?? 0), "message": .string(row.string(1) ?? ""),
                        "created_at": .string(row.string(2) ?? ""),
                    ]
                }
                txn.state.jobsWithSteers.remove(id)
            }
            var data: JSONValue = ["id": .int(id), "worker": .string(job.worker ?? "")]
            if let progress = report.progress { data = data.setting("progress", progress) }
            if report.tokensInput != nil || report.tokensOutput != nil {
                data = data.setting(
                    "tokens",
                    [
                        "input": .int(report.tokensInput ?? job.tokensInput),
                        "output": .int(report.tokensOutput ?? job.tokensOutput),
                    ])
            }
            try txn.emit("job.progress", tenant: tenant, issue: job.issue, data)
            var updated = live
            updated.leaseExpiresMs = expires
            txn.state.live[id] = updated
            return ProgressAnswer(cancel: false, steer: steer, leaseExpiresAt: Timestamp.format(milliseconds: expires))
        }
    }

    /// Ends a leased job. The same token again gets the job as it is (idempotent); a stale token
    /// gets a conflict and changes nothing.
    public func complete(_ id: Int64, tenant: String, worker: String?, _ completion: Completion) async throws -> Job {
        try await mutate { txn in
            var job = try txn.job(id, tenant: tenant)
            try Dispatcher.checkLease(job, token: completion.token, worker: worker)
            if job.status.isFinished {
                // A repeat of a completion already recorded, or the report of a job cancelled
                // while it ran: record what it used, change nothing else.
                if job.status == .cancelled, completion.tokensInput != nil || completion.tokensOutput != nil {
                    try txn.conn.execute(
                        """
                        UPDATE jobs SET tokens_input = ?2, tokens_output = ?3, model_used = coalesce(?4, model_used),
                            report = coalesce(?5, report) WHERE id = ?1
                        """,
                        [
                            .integer(id), .integer(completion.tokensInput ?? job.tokensInput),
                            .integer(completion.tokensOutput ?? job.tokensOutput),
                            completion.modelUsed.map(SQLValue.text) ?? .null,
                            completion.report.map(SQLValue.text) ?? .null,
                        ])
                    job.tokensInput = completion.tokensInput ?? job.tokensInput
                    job.tokensOutput = completion.tokensOutput ?? job.tokensOutput
                    job.modelUsed = completion.modelUsed ?? job.modelUsed
                    try txn.recordCost(job, reported: completion.costUSD)
                }
                return try txn.job(id)
            }
            guard job.status == .running else {
                throw DispatchError.conflict("job \(id) is \(job.status.rawValue); it was not started with this lease")
            }
            job.tokensInput = completion.tokensInput ?? job.tokensInput
            job.tokensOutput = completion.tokensOutput ?? job.tokensOutput
            job.modelUsed = completion.modelUsed ?? job.modelUsed
            job.report = completion.report ?? job.report
            // Tokens, cost and the final status go into the row in one UPDATE; the answer is the
            // row as it now reads, built here rather than read back.
            let cost = txn.price(job, reported: completion.costUSD)
            let status: JobStatus = completion.succeeded ? .completed : .failed
            let error = completion.succeeded ? nil : (completion.error ?? "the worker reported a failure")
            try txn.finish(
                job, as: status, result: completion.result, error: error,
                usage: DispatchTxn.Usage(
                    tokensInput: job.tokensInput, tokensOutput: job.tokensOutput, costUSD: cost.usd,
                    modelUsed: completion.modelUsed, report: completion.report,
                    needsInput: !completion.succeeded && completion.needsInput))
            if let name = job.worker {
                let column = completion.succeeded ? "jobs_completed" : "jobs_failed"
                try txn.conn.execute(
                    "UPDATE workers SET \(column) = \(column) + 1 WHERE tenant = ?1 AND instance = ?2",
                    [.text(tenant), .text(name)])
                if completion.succeeded {
                    txn.state.tenants[tenant]?.workers[name]?.completed += 1
                } else {
                    txn.state.tenants[tenant]?.workers[name]?.failed += 1
                }
            }
            try txn.recordCost(job, cost: cost, updatingJob: false)
            try txn.schedule(tenant)
            job.status = status
            job.finishedAt = txn.nowText
            job.updatedAt = txn.nowText
            job.result = completion.result ?? job.result
            job.error = error ?? job.error
            job.cancelRequested = false
            job.costUSD = cost.usd
            job.needsInput = !completion.succeeded && completion.needsInput
            return job
        }
    }

    /// A report must carry the job's current lease token (409 otherwise: it is stale), and a
    /// worker key may only report on jobs leased to its own instance.
    static func checkLease(_ job: Job, token: String, worker: String?) throws {
        guard let current = job.leaseToken, ConstantTime.equals(Array(current.utf8), Array(token.utf8)) else {
            throw DispatchError.conflict("the lease token is stale: job \(job.id) is no longer leased with it")
        }
        if let worker, job.worker != worker { throw DispatchError.notFound("no job \(job.id)") }
    }

    // MARK: Pause and resume

    public func pause(_ instance: String, tenant: String) async throws -> WorkerView {
        try await setPaused(instance, tenant: tenant, true)
    }

    public func resume(_ instance: String, tenant: String) async throws -> WorkerView {
        try await setPaused(instance, tenant: tenant, false)
    }

    private func setPaused(_ instance: String, tenant: String, _ paused: Bool) async throws -> WorkerView {
        try await mutate { txn in
            guard txn.board(tenant).workers[instance] != nil else {
                throw DispatchError.notFound("no worker \(JSONText.quote(instance))")
            }
            try txn.setPaused(tenant: tenant, worker: instance, paused, reason: paused ? "paused" : "resumed")
            if !paused { try txn.schedule(tenant) }
            let entry = txn.board(tenant).workers[instance]!
            return WorkerView(
                tenant: tenant, entry: entry,
                online: entry.isOnline(now: txn.now, staleAfterMs: txn.settings.staleAfterMs))
        }
    }

    // MARK: Timers

    /// Requeues (or fails) jobs whose lease expired and takes workers offline whose heartbeats
    /// stopped. Reads memory first and writes only when something is due.
    public func sweep() async throws {
        let now = clock.now()
        let stale = settings.staleAfterMs
        let due = state.withLock { state -> Bool in
            if state.live.values.contains(where: { $0.status == .running && ($0.leaseExpiresMs ?? .max) <= now }) {
                return true
            }
            return state.tenants.values.contains { board in
                board.workers.values.contains { $0.online != $0.isOnline(now: now, staleAfterMs: stale) }
            }
        }
        if due {
            try await mutate { txn in
                let expired = txn.state.live.values.filter {
                    $0.status == .running && ($0.leaseExpiresMs ?? .max) <= txn.now
                }.map(\.id).sorted()
                var tenants: Set<String> = []
                for id in expired {
                    let job = try txn.job(id)
                    tenants.insert(job.tenant)
                    if let name = job.worker {
                        try txn.conn.execute(
                            "UPDATE workers SET jobs_failed = jobs_failed + 1 WHERE tenant = ?1 AND instance = ?2",
                            [.text(job.tenant), .text(name)])
                        txn.state.tenants[job.tenant]?.workers[name]?.failed += 1
                    }
                    let reason = "the lease on \(job.worker ?? "its worker") expired"
                    if job.attempt < txn.settings.maxJobAttempts {
                        try txn.requeue(job, bumpAttempt: true, reason: reason)
                    } else {
                        try txn.finish(
                            job, as: .failed,
                            error: "\(reason) on attempt \(job.attempt) of \(txn.settings.maxJobAttempts); giving up")
                    }
                }
                for tenant in txn.state.tenants.keys.sorted() {
                    for name in (txn.state.tenants[tenant]?.workers.keys.sorted() ?? []) {
                        guard let entry = txn.state.tenants[tenant]?.workers[name] else { continue }
                        let online = entry.isOnline(now: txn.now, staleAfterMs: txn.settings.staleAfterMs)
                        guard online != entry.online else { continue }
                        txn.state.tenants[tenant]?.workers[name]?.online = online
                        try txn.emit(
                            online ? "worker.online" : "worker.offline", tenant: tenant,
                            [
                                "instance": .string(name),
                                "reason": .string("no heartbeat for \(txn.settings.staleAfterMs / 1000) s"),
                            ])
                        if !online {
                            try txn.takeBackAssigned(
                                tenant: tenant, worker: name, reason: "worker \(name) went offline")
                        }
                        tenants.insert(tenant)
                    }
                }
                for tenant in tenants.sorted() { try txn.schedule(tenant) }
            }
        }
        publishWorkerGauges(now: now, staleAfterMs: stale)
    }

    func publishWorkerGauges(now: Int64, staleAfterMs: Int64) {
        guard let metrics else { return }
        let counts = state.withLock { state -> [Int] in
            var c = [0, 0, 0, 0, 0]
            for board in state.tenants.values {
                for w in board.workers.values {
                    let online = w.isOnline(now: now, staleAfterMs: staleAfterMs)
                    c[online ? 0 : 1] += 1
                    if w.paused { c[2] += 1 }
                    if online { c[w.active > 0 ? 3 : 4] += 1 }
                }
            }
            return c
        }
        metrics.workers(online: counts[0], offline: counts[1], paused: counts[2], busy: counts[3], idle: counts[4])
    }

    /// Sweeps every `interval` until the task is cancelled.
    public func runSweeper(every interval: Duration = .seconds(1), log: @escaping @Sendable (String) -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            do {
                try await sweep()
            } catch {
                log("error: dispatcher sweep failed: \(error)")
            }
        }
    }
}

extension JSONValue {
    fileprivate func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var fields) = self else { return self }
        fields[key] = value
        return .object(fields)
    }
}

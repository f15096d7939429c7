import BatonCore
import BatonCrypto
import BatonJSON
import BatonStore
import BatonWorkerProtocol

extension Dispatcher {
    public struct Lease: Sendable {
        public var job: Job
        public var token: String
        public var expiresAt: String
        /// `router.lease_s` in milliseconds: how far off `expiresAt` is as the lease is granted.
        public var expiresInMs: Int64

        /// The lease answer (SPEC §6.8): the job as the API shows it, the fields a worker runs it
        /// with typed as the worker protocol reads them, and the lease.
        public var answer: LeaseAnswer {
            // The context column holds the JSON object of strings the orchestrator set.
            let context = job.context.flatMap { try? JSONParser.parse(Array($0.utf8)) }?.objectValue?
                .compactMapValues(\.stringValue)
            let leased = LeasedJob(
                id: job.id, attempt: job.attempt, prompt: job.prompt, input: job.input, provider: job.provider,
                model: job.model, issue: job.issue, context: context, otherFields: job.jsonObject.objectValue ?? [:])
            return LeaseAnswer(
                job: leased, lease: LeaseGrant(token: token, expiresAt: expiresAt, expiresInMs: expiresInMs))
        }
    }

    /// What a progress report gets back: the route adds the token to the extended lease.
    public struct ProgressAnswer: Sendable, Equatable {
        public var cancel: Bool
        public var steer: [SteerMessage]
        public var leaseExpiresAt: String?
        /// How far off `leaseExpiresAt` is as the report is answered (`router.lease_s`).
        public var leaseExpiresInMs: Int64? = nil
    }

    // MARK: Leases

    /// Long-polls for the next job assigned to `worker`, up to `wait`; nil when none came. The
    /// lease token it returns fences every later report: once the job is requeued, it is stale.
    public func lease(worker: String, tenant: String, wait: Duration) async throws -> Lease? {
        let key = WorkerKey(tenant: tenant, instance: worker)
        let deadline = ContinuousClock.now + wait
        while true {
            let seen = waiters.generation(key)
            if let lease = try await tryLease(worker: worker, tenant: tenant) {
                sweep(by: clock.now() + lease.expiresInMs)
                return lease
            }
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
            return Lease(
                job: try txn.job(id), token: token, expiresAt: Timestamp.format(milliseconds: expires),
                expiresInMs: txn.settings.leaseMs)
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
            var steer: [SteerMessage] = []
            if txn.state.jobsWithSteers.contains(id) {
                let rows = try txn.conn.query(
                    "SELECT id, message, created_at FROM job_steers WHERE job_id = ?1 AND delivered_at IS NULL ORDER BY id",
                    [.integer(id)])
                try txn.conn.execute(
                    "UPDATE job_steers SET delivered_at = ?2 WHERE job_id = ?1 AND delivered_at IS NULL",
                    [.integer(id), .text(txn.nowText)])
                steer = try rows.map { row in
                    SteerMessage(
                        id: try row.decode("id"), message: try row.decode("message"),
                        createdAt: try row.decode("created_at"))
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
            return ProgressAnswer(
                cancel: false, steer: steer, leaseExpiresAt: Timestamp.format(milliseconds: expires),
                leaseExpiresInMs: txn.settings.leaseMs)
        }
    }

    /// Ends a leased job. The same token again gets the job as it is (idempotent); a stale token
    /// gets a conflict and changes nothing.
    public func complete(_ id: Int64, tenant: String, worker: String?, _ completion: CompletionReport) async throws
        -> Job
    {
        let reportText = completion.report?.text
        let succeeded = completion.status.succeeded
        let needsInput = completion.status == .needsInput
        return try await mutate { txn in
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
                            reportText.map(SQLValue.text) ?? .null,
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
            job.report = reportText ?? job.report
            // Tokens, cost and the final status go into the row in one UPDATE; the answer is the
            // row as it now reads, built here rather than read back.
            let cost = txn.price(job, reported: completion.costUSD)
            let status: JobStatus = succeeded ? .completed : .failed
            let error = succeeded ? nil : (completion.error ?? "the worker reported a failure")
            try txn.finish(
                job, as: status, result: completion.result, error: error,
                usage: DispatchTxn.Usage(
                    tokensInput: job.tokensInput, tokensOutput: job.tokensOutput, costUSD: cost.usd,
                    modelUsed: completion.modelUsed, report: reportText, needsInput: needsInput))
            if let name = job.worker {
                let column = succeeded ? "jobs_completed" : "jobs_failed"
                try txn.conn.execute(
                    "UPDATE workers SET \(column) = \(column) + 1 WHERE tenant = ?1 AND instance = ?2",
                    [.text(tenant), .text(name)])
                if succeeded {
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
            job.needsInput = needsInput
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
}

extension JSONValue {
    fileprivate func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var fields) = self else { return self }
        fields[key] = value
        return .object(fields)
    }
}

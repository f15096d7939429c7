import BatonCore
import BatonJSON
import BatonJobs
import BatonStore
import BatonTemplates

extension Orchestrator {
    /// Ticks until cancelled: at once when woken (webhook, finished job, operator), else every
    /// second while there are issues, which is as late as a stored retry timer fires
    /// (`nextTickInMs`).
    /// With a `tracker`, it is also polled every `tracker.poll_interval_ms` and on each refresh,
    /// for `trackerTenant` (the system tenant: the tracker is configured for the instance).
    public func run(
        tracker: (any IssueTracker)? = nil, trackerTenant: String = "default",
        log: @escaping @Sendable (String) -> Void
    ) async {
        // Issues are built on jobs: the orchestrator follows the jobs' events itself, so whoever
        // runs it (serve, a test) gets an attempt reconciled as soon as its job ends.
        let following = Task { await followJobs() }
        defer { following.cancel() }
        var failures = 0
        var pollFailures = 0
        var lastPoll: Int64?
        while !Task.isCancelled {
            if let tracker {
                let refresh = pendingRefresh.withLock { $0 != nil }
                let due = lastPoll.map { now - $0 >= settings.pollIntervalMs } ?? true
                if refresh || due {
                    lastPoll = now
                    do {
                        try await poll(tracker, tenant: trackerTenant)
                        pollFailures = 0
                    } catch {
                        pollFailures += 1
                        if pollFailures == 1 || pollFailures % 10 == 0 { log("orchestrator: poll failed: \(error)") }
                    }
                }
            }
            do {
                try await tickAll()
                failures = 0
            } catch {
                failures += 1
                if failures == 1 || failures % 60 == 0 { log("orchestrator: tick failed: \(error)") }
            }
            await wakeSignal.wait(timeout: .milliseconds(nextTickInMs(lastPoll: lastPoll, polling: tracker != nil)))
        }
    }

    /// How many of an issue's jobs (?1 tenant, ?2 identifier) are not finished: a seek in the
    /// `jobs_unfinished_by_issue` index, since every tick asks it of each issue whose workspace
    /// waits for removal, on the writer.
    static let unfinishedJobsOfIssue =
        "SELECT count(*) FROM jobs WHERE tenant = ?1 AND issue = ?2 AND finished_at IS NULL"

    /// The longest the loop sleeps while no tenant has issues (SPEC §9.4).
    static let idleTickMs: Int64 = 60_000

    /// How long the loop may sleep: a second while some tenant has issues (stored retry times and
    /// stalls are checked at that grain); with none, until the next poll is due or a minute has
    /// passed. Every way an issue arrives (webhook, poll, API) wakes the loop, so an idle
    /// coordinator sleeps without missing one.
    func nextTickInMs(lastPoll: Int64?, polling: Bool) -> Int64 {
        let hasIssues = knownTenants.withLock { $0.map { !$0.isEmpty } ?? true }
        if hasIssues { return 1000 }
        guard polling else { return Self.idleTickMs }
        let untilPoll = lastPoll.map { $0 + settings.pollIntervalMs - now } ?? 0
        return min(Self.idleTickMs, max(0, untilPoll))
    }

    /// Wakes the loop when a job of an issue finishes or is requeued (until cancelled).
    func followJobs() async {
        let filter = EventFilter(
            types: ["job.completed", "job.failed", "job.cancelled", "job.requeued"], issuesOnly: true)
        guard let stream = try? await dispatcher.events.subscribe(after: nil, filter: filter, isClient: false) else {
            return
        }
        for await _ in stream { jobsChanged() }
    }

    /// A tick for every tenant with issues. Running attempts are reconciled when a job of an issue
    /// has changed (`jobsChanged`) or a second has passed (stall detection), not on every wake:
    /// with many attempts running, checking each one per delivery was most of a busy tick.
    public func tickAll() async throws {
        pendingRefresh.withLock { $0 = nil }
        let now = self.now
        let reconcile = reconcileState.withLock { state -> Bool in
            guard state.jobsChanged || now - state.lastReconcile >= 1000 else { return false }
            state = (false, now)
            return true
        }
        // The tenants with issues, read once; new ones are added as their issues arrive.
        var tenants = knownTenants.withLock { $0 }
        if tenants == nil {
            let read = Set(
                try await database.read { conn in
                    try conn.query("SELECT tenant FROM issues GROUP BY tenant").compactMap { $0.string("tenant") }
                })
            // `noted` read under this lock: a tenant noted after it finds the set made below.
            tenants = knownTenants.withLock { known in
                known = (known ?? []).union(read).union(notedTenants.withLock { $0 })
                return known
            }
        }
        for tenant in (tenants ?? []).sorted() { try await tick(tenant: tenant, reconcile: reconcile) }
        if reconcile, let metrics {
            let counts = try await database.read { conn in
                try conn.query("SELECT state, count(*) AS n FROM issues GROUP BY state").reduce(into: [String: Int]()) {
                    $0[$1.string("state") ?? ""] = $1.int("n") ?? 0
                }
            }
            metrics.issues(counts)
        }
    }

    /// A job of some issue finished or was requeued: the next tick reconciles attempts.
    public func jobsChanged() {
        reconcileState.withLock { $0.jobsChanged = true }
        wake()
    }

    /// One reconciliation and dispatch pass for `tenant`, in one transaction: finished jobs end
    /// their attempts, stalled agents are stopped, due retries are queued, pending workspace
    /// removals are sent, and queued issues get attempts within the concurrency slots.
    public func tick(tenant: String) async throws { try await tick(tenant: tenant, reconcile: true) }

    func tick(tenant: String, reconcile: Bool) async throws {
        let settings = self.settings
        try await transaction { txn in
            if reconcile { try txn.reconcileAttempts(tenant: tenant, settings: settings) }
            try txn.queueDueRetries(tenant: tenant)
            try txn.sendWorkspaceRemovals(tenant: tenant)
            try txn.dispatchQueued(tenant: tenant, settings: settings)
        }
    }
}

extension IssueTxn {
    mutating func reconcileAttempts(tenant: String, settings: OrchestratorSettings) throws {
        let stallCutoff = Timestamp.format(milliseconds: now - settings.stallTimeoutMs)
        for attempt in try AttemptRecord.needingReconciliation(tenant: tenant, stallCutoff: stallCutoff, from: conn) {
            guard var record = try IssueRecord.load(attempt.issue, tenant: tenant, from: conn) else { continue }
            let job = try attempt.jobID.flatMap { try Job.load(id: $0, tenant: tenant, from: conn) }
            guard let job else {
                try finishAttempt(attempt, as: .failed, error: "its job is gone")
                try fail(&record, error: "its job is gone", settings: settings)
                continue
            }
            switch job.status {
            case .completed:
                try finishAttempt(attempt, as: .completed, error: nil)
                record.lastError = nil
                try move(&record, to: .completed, by: .execution, actor: "orchestrator", reason: "the agent finished")
            case .failed, .cancelled:
                let error = job.error ?? job.status.rawValue
                if job.needsInput {
                    try finishAttempt(attempt, as: .blocked, error: error)
                    record.lastError = error
                    try move(&record, to: .blocked, by: .execution, actor: "orchestrator", reason: error)
                } else {
                    try finishAttempt(attempt, as: .failed, error: error)
                    try fail(&record, error: error, settings: settings)
                }
            case .running where job.updatedAt < stallCutoff:
                let error = "stalled: no agent event for \(settings.stallTimeoutMs / 1000) s"
                try jobs.cancel(job, error: "cancelled: \(error)")
                try finishAttempt(attempt, as: .stalled, error: error)
                try fail(&record, error: error, settings: settings)
            default:
                continue
            }
        }
    }

    /// A failed attempt: retried after the backoff while attempts remain, else failed.
    mutating func fail(_ record: inout IssueRecord, error: String, settings: OrchestratorSettings) throws {
        record.lastError = error
        if record.cycleAttempts < settings.maxAttempts {
            let delay = settings.retryDelayMs(afterFailure: record.cycleAttempts)
            record.retryAtMs = now + delay
            try move(
                &record, to: .retrying, by: .execution, actor: "orchestrator",
                reason: "attempt \(record.attempts) failed (\(error)); retrying in \(delay / 1000) s")
        } else {
            try move(
                &record, to: .failed, by: .execution, actor: "orchestrator",
                reason: "attempt \(record.attempts) failed (\(error)); \(settings.maxAttempts) attempts used")
        }
    }

    mutating func queueDueRetries(tenant: String) throws {
        for var record in try IssueRecord.all(
            tenant: tenant, from: conn, where: "state = 'retrying' AND coalesce(retry_at_ms, 0) <= \(now)")
        {
            try move(&record, to: .queued, by: .execution, actor: "orchestrator", reason: "retry timer fired")
        }
    }

    mutating func sendWorkspaceRemovals(tenant: String) throws {
        for record in try IssueRecord.all(tenant: tenant, from: conn, where: "workspace_cleanup IS NOT NULL") {
            let unfinished =
                try conn.scalar(
                    Orchestrator.unfinishedJobsOfIssue, [.text(tenant), .text(record.tracked.identifier)])?.intValue
                ?? 0
            guard unfinished == 0, let worker = record.workspaceCleanup else { continue }
            if jobs.knowsWorker(worker, tenant: tenant) {
                try jobs.command(tenant: tenant, worker: worker, .removeWorkspace(record.tracked.identifier))
                try emit(
                    "issue.workspace_removed", tenant: tenant, issue: record.tracked.identifier,
                    ["identifier": .string(record.tracked.identifier), "worker": .string(worker)])
            }
            try conn.execute(
                "UPDATE issues SET workspace_cleanup = NULL WHERE tenant = ?1 AND identifier = ?2",
                [.text(tenant), .text(record.tracked.identifier)])
        }
    }

    /// Symphony's order: Linear priority 1–4 with none last, then the tracker's creation time,
    /// then the identifier; within `agent.max_concurrent` and the per-state slots.
    mutating func dispatchQueued(tenant: String, settings: OrchestratorSettings) throws {
        if jobs.rejectsJobs(tenant: tenant) { return }
        // Counts and a bounded, ordered read: a tick runs after every delivery, and reading every
        // issue would make each one O(issues).
        var running = Int(
            try conn.scalar("SELECT count(*) FROM issues WHERE tenant = ?1 AND state = 'running'", [.text(tenant)])?
                .intValue ?? 0)
        let free = settings.maxConcurrent - running
        guard free > 0 else { return }
        var runningByState: [String: Int] = [:]
        if !settings.maxConcurrentByState.isEmpty {
            for row in try conn.query(
                """
                SELECT lower(tracker_state) AS tracker_state, count(*) AS n FROM issues
                WHERE tenant = ?1 AND state = 'running' GROUP BY 1
                """,
                [.text(tenant)])
            {
                runningByState[row.string("tracker_state") ?? ""] = row.int("n") ?? 0
            }
        }
        // Per-state slots may pass over some queued issues, so then every one is read.
        let limit = settings.maxConcurrentByState.isEmpty ? " LIMIT \(free)" : ""
        let queued = try conn.query(
            """
            SELECT \(IssueRecord.columns) FROM issues WHERE tenant = ?1 AND state = 'queued'
            ORDER BY CASE WHEN priority BETWEEN 1 AND 4 THEN priority ELSE 5 END,
                coalesce(tracker_created_at, '~'), identifier\(limit)
            """, [.text(tenant)]
        ).map(IssueRecord.init(row:))
        for var record in queued {
            guard running < settings.maxConcurrent else { return }
            let state = record.tracked.state.lowercased()
            if let limit = settings.maxConcurrentByState.first(where: { $0.key.lowercased() == state })?.value,
                runningByState[state, default: 0] >= limit
            {
                continue
            }
            try startAttempt(&record, tenant: tenant, settings: settings)
            running += 1
            runningByState[state, default: 0] += 1
        }
    }

    /// Renders the prompt and queues the attempt's job; a template that cannot render blocks the
    /// issue with the template's error instead.
    mutating func startAttempt(_ record: inout IssueRecord, tenant: String, settings: OrchestratorSettings) throws {
        let templateID = record.templateOverride ?? settings.template
        let model = record.modelOverride ?? settings.model
        let number = record.attempts + 1
        let route = settings.git.resolve(
            identifier: record.tracked.identifier, labels: record.tracked.labels, project: record.tracked.project)
        // The issue's agent session (SPEC §9.15): its prompt context for the template, and the
        // attempt linked to it.
        let session = try AgentSessionRows.active(issue: record.tracked.identifier, tenant: tenant, in: conn)
        let variables: [String: JSONValue] = [
            "agent_session": try AgentSessionRows.templateVariable(session: session, tenant: tenant, in: conn),
            "git": route?.variables ?? .null,
            "issue": record.variables,
            "attempt": [
                "number": .int(Int64(number)), "max": .int(Int64(settings.maxAttempts)),
                "previous_error": record.lastError.map(JSONValue.string) ?? .null,
            ],
            "steer": [],
            "job": ["provider": .string(settings.provider), "model": model.map(JSONValue.string) ?? .null],
        ]
        var prompt: String?
        var failure: String?
        if let body = try TemplateStore.bodyForAttempt(templateID, tenant: tenant, from: conn) {
            do {
                // Within templates.*: a template that runs past a limit blocks the attempt with
                // the limit's name, line and column instead of holding this transaction.
                prompt = try Template.cached(body, limits: settings.templateLimits)
                    .render(variables, limits: settings.templateLimits)
            } catch {
                failure = "template \(templateID): \(error)"
            }
        } else {
            failure = "template \(templateID) does not exist"
        }
        // The same bound as a job created over the API (SPEC §6.3): issue text can be large.
        if let size = prompt?.utf8.count, size > settings.maxPromptBytes {
            failure =
                "the rendered prompt is \(size) bytes; the limit is \(settings.maxPromptBytes) (jobs.max_prompt_bytes)"
        }
        record.attempts = number
        record.cycleAttempts += 1
        try conn.execute(
            "UPDATE issues SET attempts = ?3 WHERE tenant = ?1 AND identifier = ?2",
            [.text(tenant), .text(record.tracked.identifier), .integer(Int64(number))])
        var jobID: Int64?
        if let prompt, failure == nil {
            let priority: JobPriority =
                switch record.tracked.priority {
                case 1, 2: .high
                case 4: .low
                default: .normal
                }
            var spec = JobSpec(
                prompt: prompt, provider: settings.provider, model: model, priority: priority,
                issue: record.tracked.identifier)
            spec.context = route?.context ?? [:]
            jobID = try jobs.insertScheduled(spec, tenant: tenant).id
        }
        try conn.execute(
            """
            INSERT INTO attempts (tenant, issue, number, job_id, status, provider, model, template, prompt, started_at,
                finished_at, error, agent_session) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            """,
            [
                .text(tenant), .text(record.tracked.identifier), .integer(Int64(number)),
                jobID.map(SQLValue.integer) ?? .null, .text(failure == nil ? "running" : "blocked"),
                .text(settings.provider), model.map(SQLValue.text) ?? .null, .text(templateID),
                .text(prompt ?? ""), .text(nowText), failure == nil ? .null : .text(nowText),
                failure.map(SQLValue.text) ?? .null, session.map(SQLValue.text) ?? .null,
            ])
        try move(
            &record, to: .running, by: .execution, actor: "orchestrator",
            reason: "attempt \(number)" + (jobID.map { " as job \($0)" } ?? ""))
        if let failure {
            record.lastError = failure
            try move(&record, to: .blocked, by: .execution, actor: "orchestrator", reason: failure)
        }
    }
}

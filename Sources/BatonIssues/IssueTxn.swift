import BatonCore
import BatonJSON
import BatonJobs
import BatonStore
import BatonTemplates

/// One orchestrator change: SQL on `issues`, `attempts` and `issue_transitions`, with an event
/// for each move, composed with the dispatcher's job transaction it runs in, so an issue, its
/// attempt and that attempt's job commit together (SPEC §9). Jobs are changed only through
/// `jobs`' public operations. Validation comes before any job change, so a refusal (an
/// `IssueError`) leaves the dispatcher's memory as it was.
struct IssueTxn {
    var jobs: DispatchTxn
    var observations = Observations()

    /// What the metrics learn from this change, recorded after it commits.
    struct Observations: Sendable {
        var attemptOutcomes: [AttemptRecord.Status] = []
        var issueMoves: [IssueState] = []
        /// Agent activities stored (the sender is woken after the commit).
        var agentActivities = 0
    }

    init(jobs: DispatchTxn) { self.jobs = jobs }

    var conn: Connection { jobs.conn }
    var now: Int64 { jobs.now }
    var nowText: String { jobs.nowText }

    mutating func emit(_ type: String, tenant: String, issue: String? = nil, _ data: JSONValue) throws {
        try jobs.emit(type, tenant: tenant, issue: issue, data)
    }

    /// Runs `body` as a part that can fail alone: on an error its SQL, events and observations
    /// (the issue's and the jobs') are undone and the error returned; the rest of the
    /// transaction goes on.
    mutating func savepoint(_ body: (inout IssueTxn) throws -> Void) throws -> (any Error)? {
        let mark = try jobs.beginSavepoint()
        let observed = observations
        do {
            try body(&self)
            try jobs.release(mark)
            return nil
        } catch {
            try jobs.rollback(to: mark, after: error)
            observations = observed
            return error
        }
    }

    func issue(_ identifier: String, tenant: String) throws -> IssueRecord {
        guard let record = try IssueRecord.load(identifier, tenant: tenant, from: conn) else {
            throw IssueError.notFound("no issue \(JSONText.quote(identifier))")
        }
        return record
    }

    /// A created or updated issue: stored, then moved as its tracker state says: an active one
    /// (with the required labels) is queued if Baton was not working on it; one that left the
    /// active states is released, its attempt stopped; a terminal one also loses its workspace.
    mutating func ingest(_ issue: TrackedIssue, tenant: String, actor: String, settings: OrchestratorSettings) throws
        -> IssueRecord
    {
        var record = try upsertIssue(issue, tenant: tenant)
        // An issue delegated to Baton's agent (an active session, SPEC §9.15) is worked on
        // whatever its state, short of a terminal one: the delegation is the request.
        let hasSession = try AgentSessionRows.active(issue: issue.identifier, tenant: tenant, in: conn) != nil
        let delegated = hasSession && !settings.isTerminal(issue.state)
        let eligible =
            delegated
            || settings.isActive(issue.state)
                && settings.requiredLabels.allSatisfy { label in
                    issue.labels.contains { $0.lowercased() == label.lowercased() }
                }
        if settings.isTerminal(issue.state) || !eligible {
            let terminal = settings.isTerminal(issue.state)
            if record.state != .released {
                let reason =
                    terminal
                    ? "the tracker moved it to \(issue.state) (terminal)"
                    : settings.isActive(issue.state)
                        ? "it lacks a required label (\(settings.requiredLabels.joined(separator: ", ")))"
                        : "the tracker moved it to \(issue.state), not an active state"
                try release(&record, actor: actor, reason: reason, removeWorkspace: terminal)
            } else if terminal {
                try scheduleWorkspaceRemoval(&record)
            }
        } else if record.state == .released {
            try move(
                &record, to: .queued, by: .execution, actor: actor,
                reason: delegated
                    ? "delegated to Baton's agent (\(issue.state))" : "active in the tracker (\(issue.state))")
        }
        return record
    }

    /// A removed issue: released, its attempt stopped and its workspace removed.
    mutating func removeIssue(_ identifier: String, tenant: String, actor: String) throws {
        guard var record = try IssueRecord.load(identifier, tenant: tenant, from: conn) else { return }
        if record.state != .released {
            try release(&record, actor: actor, reason: "removed in the tracker", removeWorkspace: true)
        }
    }

    /// Stores what the tracker says; a new issue starts `released` (the caller moves it on).
    mutating func upsertIssue(_ issue: TrackedIssue, tenant: String) throws -> IssueRecord {
        let existing = try IssueRecord.load(issue.identifier, tenant: tenant, from: conn)
        try conn.execute(
            """
            INSERT INTO issues (tenant, identifier, tracker_id, title, description, tracker_state, priority, labels, url,
                tracker_created_at, state, created_at, updated_at, project)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'released', ?11, ?11, ?12)
            ON CONFLICT (tenant, identifier) DO UPDATE SET tracker_id = coalesce(excluded.tracker_id, tracker_id),
                title = excluded.title, description = excluded.description, tracker_state = excluded.tracker_state,
                priority = excluded.priority, labels = excluded.labels, url = coalesce(excluded.url, url),
                tracker_created_at = coalesce(excluded.tracker_created_at, tracker_created_at),
                project = coalesce(excluded.project, project), updated_at = excluded.updated_at
            """,
            [
                .text(tenant), .text(issue.identifier), issue.trackerID.map(SQLValue.text) ?? .null, .text(issue.title),
                .text(issue.description), .text(issue.state), .integer(Int64(issue.priority)),
                .text(StringListColumn.encode(issue.labels)), issue.url.map(SQLValue.text) ?? .null,
                issue.createdAt.map(SQLValue.text) ?? .null, .text(nowText), issue.project.map(SQLValue.text) ?? .null,
            ])
        if existing == nil {
            try conn.execute(
                """
                INSERT INTO issue_transitions (tenant, issue, from_state, to_state, actor, reason, at)
                VALUES (?1, ?2, NULL, 'released', 'tracker', 'first seen', ?3)
                """, [.text(tenant), .text(issue.identifier), .text(nowText)])
        }
        return try self.issue(issue.identifier, tenant: tenant)
    }

    /// Moves an issue along the table, records who and why, and announces it.
    mutating func move(
        _ record: inout IssueRecord, to target: IssueState, by mover: IssueState.Mover, actor: String, reason: String
    ) throws {
        if let refusal = record.state.refusal(target, by: mover) {
            throw IssueError.forbiddenTransition(refusal)
        }
        let from = record.state
        record.state = target
        observations.issueMoves.append(target)
        if target != .retrying { record.retryAtMs = nil }
        try conn.execute(
            """
            UPDATE issues SET state = ?3, retry_at_ms = ?4, cycle_attempts = ?5, last_error = ?6, updated_at = ?7
            WHERE tenant = ?1 AND identifier = ?2
            """,
            [
                .text(record.tenant), .text(record.tracked.identifier), .text(target.rawValue),
                record.retryAtMs.map(SQLValue.integer) ?? .null, .integer(Int64(record.cycleAttempts)),
                record.lastError.map(SQLValue.text) ?? .null, .text(nowText),
            ])
        try conn.execute(
            """
            INSERT INTO issue_transitions (tenant, issue, from_state, to_state, actor, reason, at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """,
            [
                .text(record.tenant), .text(record.tracked.identifier), .text(from.rawValue), .text(target.rawValue),
                .text(actor), .text(reason), .text(nowText),
            ])
        try emit(
            "issue.\(target.rawValue)", tenant: record.tenant, issue: record.tracked.identifier,
            [
                "identifier": .string(record.tracked.identifier), "from": .string(from.rawValue),
                "to": .string(target.rawValue), "actor": .string(actor), "reason": .string(reason),
                "retry_at": record.retryAtMs.map { .string(Timestamp.format(milliseconds: $0)) } ?? .null,
            ])
        try tellAgentSession(record, moved: target, reason: reason)
    }

    /// Released: its attempt (if any) stopped, and with `removeWorkspace` its workspace removed
    /// once that attempt's job has ended.
    mutating func release(_ record: inout IssueRecord, actor: String, reason: String, removeWorkspace: Bool) throws {
        if let refusal = record.state.refusal(.released, by: .execution) {
            throw IssueError.forbiddenTransition(refusal)
        }
        try stopAttempt(of: record, as: .released, reason: reason)
        try move(&record, to: .released, by: .execution, actor: actor, reason: reason)
        if removeWorkspace { try scheduleWorkspaceRemoval(&record) }
    }

    /// The workspace goes from the worker of the issue's last attempt, when its job has ended
    /// (a tick sends the command; a running job would refuse it).
    mutating func scheduleWorkspaceRemoval(_ record: inout IssueRecord) throws {
        let worker = try conn.scalar(
            """
            SELECT j.worker FROM attempts a JOIN jobs j ON j.id = a.job_id
            WHERE a.tenant = ?1 AND a.issue = ?2 AND j.worker IS NOT NULL ORDER BY a.number DESC LIMIT 1
            """, [.text(record.tenant), .text(record.tracked.identifier)])?.stringValue
        guard let worker else { return }
        record.workspaceCleanup = worker
        try conn.execute(
            "UPDATE issues SET workspace_cleanup = ?3 WHERE tenant = ?1 AND identifier = ?2",
            [.text(record.tenant), .text(record.tracked.identifier), .text(worker)])
    }

    /// Ends the issue's running attempt (if any) with `status`, cancelling its job.
    mutating func stopAttempt(of record: IssueRecord, as status: AttemptRecord.Status, reason: String) throws {
        guard
            let attempt = try AttemptRecord.running(issue: record.tracked.identifier, tenant: record.tenant, from: conn)
        else { return }
        try finishAttempt(attempt, as: status, error: reason)
        if let id = attempt.jobID, let job = try Job.load(id: id, tenant: record.tenant, from: conn),
            !job.status.isFinished
        {
            try jobs.cancel(job, error: "cancelled: \(reason)")
        }
    }

    mutating func finishAttempt(_ attempt: AttemptRecord, as status: AttemptRecord.Status, error: String?) throws {
        observations.attemptOutcomes.append(status)
        try conn.execute(
            "UPDATE attempts SET status = ?2, finished_at = ?3, error = ?4 WHERE id = ?1",
            [.integer(attempt.id), .text(status.rawValue), .text(nowText), error.map(SQLValue.text) ?? .null])
    }
}

import BatonJobs
import BatonStore

extension Orchestrator {
    /// Lets go of jobs that retention removes (SPEC §1.4): their attempts keep their history
    /// (status, times, error) without the job. Runs in the dispatcher's pruning transaction.
    public static func releaseAttempts(_ conn: Connection, of jobs: PrunedJobs) throws {
        try conn.execute("UPDATE attempts SET job_id = NULL WHERE job_id IN (\(jobs.selectIDs))", jobs.bindings)
    }

    /// One batch of retention: clears the rendered prompt of attempts that finished before
    /// `cutoff` (the largest field an attempt holds; the attempt itself stays).
    public static func pruneAttemptPrompts(
        _ conn: Connection, _ walk: inout AgedRows, before cutoff: String, limit: Int
    ) throws -> Int {
        try walk.apply(
            """
            UPDATE attempts SET prompt = '' WHERE id > ?1 AND id <= ?2 AND finished_at IS NOT NULL
                AND finished_at < ?3 AND prompt != ''
            """, conn, before: cutoff, limit: limit)
    }

    /// When the issue released longest ago was last changed, if any is released: a read, so a
    /// retention pass with nothing to forget writes nothing.
    public static func oldestReleasedIssue(_ conn: Connection) throws -> String? {
        try conn.scalar(
            "SELECT min(updated_at) FROM issues INDEXED BY issues_released_by_age WHERE state = 'released'")?
            .stringValue
    }

    /// The issues one batch forgets (?1 the cutoff, ?2 the batch size). Each question about an
    /// issue's rows is a seek by (tenant, issue): the unfinished jobs in `jobs_unfinished_by_issue`,
    /// since a walk of the tenant's jobs per issue held the writer a second a batch.
    static let releasedIssuesToForget = """
        SELECT tenant, identifier FROM issues INDEXED BY issues_released_by_age
        WHERE state = 'released' AND updated_at < ?1 AND workspace_cleanup IS NULL
            AND NOT EXISTS (SELECT 1 FROM attempts WHERE attempts.tenant = issues.tenant
                AND attempts.issue = issues.identifier AND attempts.status = 'running')
            AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.finished_at IS NULL
                AND jobs.tenant = issues.tenant AND jobs.issue = issues.identifier)
            AND NOT EXISTS (SELECT 1 FROM agent_sessions WHERE agent_sessions.tenant = issues.tenant
                AND agent_sessions.issue = issues.identifier AND agent_sessions.status = 'active')
        ORDER BY updated_at LIMIT ?2
        """

    /// One batch of retention: forgets issues released before `cutoff` (SPEC §1.4) with their
    /// attempts and transitions, oldest first. An issue whose workspace is still to be removed,
    /// or that still has a running attempt, a live job or an active agent session, stays. Returns how many went.
    public static func pruneReleasedIssues(_ conn: Connection, before cutoff: String, limit: Int) throws -> Int {
        let issues = try conn.query(releasedIssuesToForget, [.text(cutoff), .integer(Int64(limit))])
        for row in issues {
            let key: [SQLValue] = [.text(try row.decode("tenant")), .text(try row.decode("identifier"))]
            try conn.execute("DELETE FROM issue_transitions WHERE tenant = ?1 AND issue = ?2", key)
            try conn.execute("DELETE FROM attempts WHERE tenant = ?1 AND issue = ?2", key)
            try conn.execute("DELETE FROM issues WHERE tenant = ?1 AND identifier = ?2", key)
        }
        return issues.count
    }
}

extension Orchestrator {
    /// One batch of retention (SPEC §1.4, §9.15): removes agent activities made before `cutoff`
    /// that are settled (delivered, coalesced or given up); pending ones stay whatever their age.
    public static func pruneAgentActivities(
        _ conn: Connection, _ walk: inout AgedRows, before cutoff: String, limit: Int
    ) throws -> Int {
        try walk.apply(
            """
            DELETE FROM agent_activities WHERE rowid > ?1 AND rowid <= ?2 AND created_at < ?3 AND state != 'pending'
            """, conn, before: cutoff, limit: limit)
    }

    /// One batch: removes sessions that are no longer active, untouched since `cutoff`, and have
    /// no activity left. Attempts keep the session's id.
    public static func pruneAgentSessions(
        _ conn: Connection, _ walk: inout AgedRows, before cutoff: String, limit: Int
    ) throws -> Int {
        try walk.apply(
            """
            DELETE FROM agent_sessions WHERE rowid > ?1 AND rowid <= ?2 AND created_at < ?3 AND status != 'active'
                AND updated_at < ?3 AND NOT EXISTS (SELECT 1 FROM agent_activities a
                    WHERE a.tenant = agent_sessions.tenant AND a.session_id = agent_sessions.session_id)
            """, conn, before: cutoff, limit: limit)
    }
}

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
}

import BatonCore
import BatonStore

/// The rows of one window of jobs that retention removes (SPEC §1.4): finished before the
/// cutoff. Given to whoever holds references to jobs (the orchestrator's attempts), so they let
/// go in the same transaction.
public struct PrunedJobs: Sendable {
    /// `SELECT id FROM jobs WHERE …` with ?1, ?2 (the rowid window) and ?3 (the cutoff).
    public let selectIDs: String
    public let bindings: [SQLValue]
}

extension Dispatcher {
    /// The newest job is never removed: SQLite would give its id to the next job, and a job id
    /// names one job forever (events, the cost ledger and clients keep it).
    static let finishedBefore = """
        id > ?1 AND id <= ?2 AND finished_at IS NOT NULL AND finished_at < ?3
            AND (status = 'completed' OR status = 'failed' OR status = 'cancelled')
            AND id < (SELECT max(id) FROM jobs)
        """

    /// One batch of job retention: removes jobs in the walk's next window that finished before
    /// `cutoff`, with their steering messages; `release` drops other tables' references to them
    /// first. Memory keeps only live jobs, so only the status counts change.
    public func pruneFinishedJobs(
        _ walk: AgedRows, before cutoff: String, limit: Int,
        release: @escaping @Sendable (Connection, PrunedJobs) throws -> Void = { _, _ in }
    ) async throws -> (walk: AgedRows, removed: Int) {
        try await mutate { txn in
            var walk = walk
            guard let window = try walk.next(txn.conn, before: cutoff, limit: limit) else { return (walk, 0) }
            let bindings: [SQLValue] = [.integer(window.from), .integer(window.through), .text(cutoff)]
            let selection = PrunedJobs(
                selectIDs: "SELECT id FROM jobs WHERE \(Dispatcher.finishedBefore)", bindings: bindings)
            try release(txn.conn, selection)
            try txn.conn.execute("DELETE FROM job_steers WHERE job_id IN (\(selection.selectIDs))", bindings)
            var removed = 0
            for row in try txn.conn.query(
                "SELECT status, count(*) AS n FROM jobs WHERE \(Dispatcher.finishedBefore) GROUP BY status", bindings)
            {
                guard let status = JobStatus(rawValue: try row.decode("status")) else { continue }
                let n: Int = try row.decode("n")
                txn.state.count(status, -n)
                removed += n
            }
            try txn.conn.execute("DELETE FROM jobs WHERE \(Dispatcher.finishedBefore)", bindings)
            return (walk, removed)
        }
    }

    /// One batch of removing worker commands delivered before `cutoff` (undelivered ones stay
    /// until their worker asks).
    public func pruneDeliveredCommands(_ walk: AgedRows, before cutoff: String, limit: Int) async throws
        -> (walk: AgedRows, removed: Int)
    {
        try await database.write { conn in
            var walk = walk
            let removed = try walk.apply(
                "DELETE FROM worker_commands WHERE id > ?1 AND id <= ?2 AND delivered_at IS NOT NULL AND delivered_at < ?3",
                conn, before: cutoff, limit: limit)
            return (walk, removed)
        }
    }
}

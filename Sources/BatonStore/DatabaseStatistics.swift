import Synchronization

/// Counters of the writer, for metrics and for tests that check group commit.
public struct DatabaseStatistics: Sendable, Hashable {
    /// Transactions the writer committed.
    public var commits: Int
    /// Write closures run (committed, rolled back alone, or lost with a failed commit).
    public var writes: Int
    /// Batches whose transaction failed to begin or commit (every caller got the error).
    public var failedBatches: Int
    /// Write closures waiting for the writer right now.
    public var queuedWrites: Int
    /// Background checkpoints run (each copies what it can of the WAL into the database file).
    public var checkpoints: Int = 0
}

/// The writer thread's counters; atomics so readers of statistics never wait on the writer.
final class WriterCounters: Sendable {
    let commits = Atomic<Int>(0)
    let writes = Atomic<Int>(0)
    let failedBatches = Atomic<Int>(0)
    /// Changes (batches and work outside a transaction) ended, committed or not: a read that
    /// saw the same count before and after it saw no change end meanwhile (`Database.writesEnded`).
    let changesEnded = Atomic<UInt64>(0)
    /// Rows of watched tables each change touched (`Database.watchRows`).
    let rowChanges = RowChanges()

    /// After the change is committed or abandoned, before its callers learn which: the count
    /// moves first, then the watchers hear of the rows (SPEC §1.3).
    func changeEnded() {
        changesEnded.add(1, ordering: .sequentiallyConsistent)
        rowChanges.changeEnded()
    }
}

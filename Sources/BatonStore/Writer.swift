/// The single writer: one thread owning the write connection, committing queued write closures
/// in groups (one transaction per batch, one savepoint per closure).
final class Writer: Sendable {
    private let queue: WorkQueue<any ConnectionWork>
    private let thread: ConnectionThread
    let counters: WriterCounters
    let profile: StatementProfile?

    init(path: String, configuration: DatabaseConfiguration, checkpoints: CheckpointSignal) throws {
        let profile = configuration.profileWriter ? StatementProfile() : nil
        let options = Connection.Options(
            readOnly: false, create: true, busyTimeoutMs: configuration.busyTimeoutMs,
            statementCacheSize: configuration.statementCacheSize, profile: profile)
        self.profile = profile
        let maxBatch = max(1, configuration.maxBatch)
        let queue = WorkQueue<any ConnectionWork>()
        let counters = WriterCounters()
        self.queue = queue
        self.counters = counters
        thread = try ConnectionThread(
            name: "baton.store.writer",
            open: {
                let connection = try Connection(path: path, options: options)
                try Writer.configure(connection)
                try connection.execute("PRAGMA journal_size_limit = \(max(0, configuration.walSizeLimitBytes))")
                try connection.execute("PRAGMA cache_size = -\(max(0, configuration.writerCacheKiB))")
                // Checkpoints run on their own thread (see Checkpointer), not in our commits.
                try connection.setWALHook(checkpoints)
                try connection.setUpdateHook(counters.rowChanges)
                return connection
            },
            serve: { [queue, counters] connection in
                Writer.serve(
                    connection, queue: queue, maxBatch: maxBatch, idleMs: configuration.idleReleaseMs,
                    counters: counters, checkpoints: checkpoints)
            })
    }

    /// Database-wide settings, made once on the connection that writes.
    private static func configure(_ connection: Connection) throws {
        // A new, empty file is made incremental-vacuum, so pruned pages can be given back to the
        // file system (SPEC §1.4); an older file is converted once (`enableIncrementalVacuum`).
        // Only when empty: on a file another process is writing (`baton audit prune` beside a
        // running server) the pragma would need the write lock just to open.
        if try connection.scalar("PRAGMA page_count")?.intValue == 0 {
            try connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        }
        let mode = try connection.scalar("PRAGMA journal_mode = WAL")?.stringValue ?? "unknown"
        guard mode.lowercased() == "wal" else { throw DatabaseError.walUnavailable(journalMode: mode) }
        // NORMAL in WAL mode saves an fsync per commit: a crash of Baton loses nothing, a power
        // loss may lose the last commits before a checkpoint, and neither corrupts the database.
        try connection.execute("PRAGMA synchronous = NORMAL")
    }

    func submit(_ work: any ConnectionWork) throws {
        // Stamped here, where the queue is, and only while profiling: off, no write reads a clock.
        if profile != nil { work.queuedAt = StatementProfile.now() }
        try queue.push(work)
    }

    var queuedCount: Int { queue.count }
    var isCurrentThread: Bool { thread.isCurrent }

    /// Finishes queued writes, checkpoints the WAL into the database file, and closes.
    /// With `wait` false the thread still drains, checkpoints and closes, just unobserved.
    func shutdown(wait: Bool = true) {
        queue.close()
        if wait && !thread.isCurrent { thread.join() }
    }

    private static func serve(
        _ connection: Connection, queue: WorkQueue<any ConnectionWork>, maxBatch: Int, idleMs: Int,
        counters: WriterCounters, checkpoints: CheckpointSignal
    ) {
        // A quiet spell also copies what the WAL holds back into the file, so the next commit
        // starts the log over instead of growing it: an idle server's few writes (a worker's
        // stored heartbeat once a minute) reuse the same WAL pages (SPEC §1.3).
        let quiet = {
            connection.releaseMemory()
            checkpoints.writerWentQuiet()
        }
        while let batch = queue.take(max: maxBatch, idleMs: idleMs, idle: quiet, joins: { $0.isTransactional }) {
            if let only = batch.first, !only.isTransactional {
                _ = only.run(connection)
                if connection.isInTransaction { try? connection.execute("ROLLBACK") }
                counters.changeEnded()
                only.finish(failure: nil)
            } else {
                commit(batch, on: connection, counters: counters)
            }
        }
        // Copy the WAL into the main file and empty it, so a closed database is one complete file.
        _ = try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Runs `batch` in one transaction, each closure in its own savepoint, and only after COMMIT
    /// succeeds resumes the callers; if the transaction fails, every caller gets the error.
    private static func commit(
        _ batch: [any ConnectionWork], on connection: Connection, counters: WriterCounters
    ) {
        guard let profile = connection.profile else { return commitBatch(batch, on: connection, counters: counters) }
        let start = StatementProfile.now()
        profile.recordWaits(batch.lazy.map(\.queuedAt).filter { $0 > 0 }.map { start - $0 })
        commitBatch(batch, on: connection, counters: counters)
        profile.recordBatch(writes: batch.count, nanoseconds: StatementProfile.now() - start)
    }

    private static func commitBatch(
        _ batch: [any ConnectionWork], on connection: Connection, counters: WriterCounters
    ) {
        func fail(_ error: any Error) {
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
            counters.failedBatches.add(1, ordering: .relaxed)
            counters.changeEnded()
            for work in batch { work.finish(failure: error) }
        }
        do {
            try connection.execute("BEGIN IMMEDIATE")
        } catch {
            return fail(error)
        }
        for work in batch {
            do {
                try connection.execute("SAVEPOINT baton_write")
                let succeeded = work.run(connection)
                counters.writes.add(1, ordering: .relaxed)
                // Some errors (disk full, RAISE(ROLLBACK)) make SQLite abandon the whole
                // transaction, taking earlier closures' work with it.
                guard connection.isInTransaction else { return fail(transactionLost) }
                if !succeeded { try connection.execute("ROLLBACK TO baton_write") }
                try connection.execute("RELEASE baton_write")
            } catch {
                return fail(error)
            }
        }
        do {
            try connection.execute("COMMIT")
        } catch {
            return fail(error)
        }
        counters.commits.add(1, ordering: .relaxed)
        counters.changeEnded()
        for work in batch { work.finish(failure: nil) }
    }

    private static let transactionLost = SQLiteError(
        code: SQLiteError.error,
        message: "the write transaction was rolled back by SQLite or ended inside a write closure; "
            + "nothing in this batch was committed")
}

import Synchronization

/// Copies the WAL back into the database file on a thread and connection of its own, so the
/// writer never stops for a checkpoint's copying and fsync. The writer's WAL hook asks for one
/// once the log holds `checkpointPages` pages (SQLite's own auto-checkpoint would run it inside
/// the committing transaction, on the writer); PASSIVE never blocks the writer or readers.
final class Checkpointer: Sendable {
    private let queue = WorkQueue<Bool>()
    private let thread: ConnectionThread
    private let counter = Counter()

    private final class Counter: Sendable { let value = Atomic<Int>(0) }

    var completed: Int { counter.value.load(ordering: .relaxed) }

    init(path: String, configuration: DatabaseConfiguration) throws {
        let options = Connection.Options(
            readOnly: false, create: false, busyTimeoutMs: configuration.busyTimeoutMs, statementCacheSize: 4)
        let queue = self.queue
        let counter = self.counter
        thread = try ConnectionThread(
            name: "baton.store.checkpoint",
            open: { try Connection(path: path, options: options) },
            serve: { connection in
                // Requests that pile up while one runs are answered by the next single pass.
                while queue.take(max: .max, joins: { _ in true }) != nil {
                    if (try? connection.query("PRAGMA wal_checkpoint(PASSIVE)")) != nil {
                        counter.value.add(1, ordering: .relaxed)
                    }
                }
            })
    }

    /// Asks for a checkpoint soon; cheap, and harmless when one is already queued or running.
    func request() { try? queue.push(true) }

    func shutdown(wait: Bool = true) {
        queue.close()
        if wait && !thread.isCurrent { thread.join() }
    }
}

/// Lets the writer's WAL hook reach a checkpointer that is started after the writer (it opens
/// the file the writer created and switched to WAL).
final class CheckpointSignal: Sendable {
    private let target = Mutex<Checkpointer?>(nil)
    /// True while the WAL holds commits no checkpoint was asked for since.
    private let uncopied = Atomic<Bool>(false)
    let pages: Int

    init(pages: Int) { self.pages = max(1, pages) }

    func connect(_ checkpointer: Checkpointer?) { target.withLock { $0 = checkpointer } }

    /// Called by the writer after each commit with the WAL's size in pages.
    func walCommitted(pages count: Int) {
        guard count >= pages else {
            uncopied.store(true, ordering: .relaxed)
            return
        }
        uncopied.store(false, ordering: .relaxed)
        target.withLock { $0 }?.request()
    }

    /// Called by the writer once per quiet spell: a checkpoint for what was committed since the
    /// last one, if anything was.
    func writerWentQuiet() {
        guard uncopied.exchange(false, ordering: .relaxed) else { return }
        target.withLock { $0 }?.request()
    }
}

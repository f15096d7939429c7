import BatonPlatform
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Baton's SQLite database: one writer thread with group commit, and reader threads in parallel.
///
/// Every SQLite call runs on the database's own threads; `read` and `write` suspend the caller
/// until their closure has run there (and, for writes, until its transaction has committed).
public final class Database: Sendable {
    public let path: String
    public let configuration: DatabaseConfiguration
    private let writer: Writer
    private let readers: ReaderPool
    private let inline: InlineReaders
    private let checkpointer: Checkpointer
    /// Set when `close()` starts; new work is refused from then on.
    private let closed = Atomic<Bool>(false)
    /// Held during `close()`, so a concurrent second call returns only once the first is done.
    private let closing = Mutex(())

    /// Opens (creating if needed) the database file and its connections: WAL journal,
    /// `synchronous=NORMAL`, foreign keys on, busy timeout; readers are `query_only`.
    /// Blocks while the connections open; call it at start-up, not from hot async code.
    public init(path: String, configuration: DatabaseConfiguration = .init()) throws {
        self.path = path
        self.configuration = configuration
        Self.createOwnerOnly(path)
        // The writer opens first: it creates the file and switches it to WAL for the others.
        let signal = CheckpointSignal(pages: configuration.checkpointPages)
        writer = try Writer(path: path, configuration: configuration, checkpoints: signal)
        do {
            readers = try ReaderPool(path: path, configuration: configuration)
        } catch {
            writer.shutdown()
            throw error
        }
        do {
            inline = try InlineReaders(
                path: path, count: configuration.inlineReaderCount,
                statementCacheSize: configuration.statementCacheSize)
        } catch {
            readers.shutdown()
            writer.shutdown()
            throw error
        }
        do {
            checkpointer = try Checkpointer(path: path, configuration: configuration)
        } catch {
            inline.close()
            readers.shutdown()
            writer.shutdown()
            throw error
        }
        signal.connect(checkpointer)
    }

    /// Creates the database file, when absent, readable and writable by its owner only (0600):
    /// SQLite would make it 0644, and it gives the WAL and shared-memory files the database
    /// file's mode, so this one creation decides all three. An existing file is left as it is;
    /// when the file cannot be made, SQLite's own open reports why.
    static func createOwnerOnly(_ path: String) {
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else { return }
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Without `close()`, the threads still finish queued work and close their connections, but
    /// nobody waits for them: deinit may run on the cooperative pool and must not block.
    deinit {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        checkpointer.shutdown(wait: false)
        inline.close()
        readers.shutdown(wait: false)
        writer.shutdown(wait: false)
    }

    // MARK: Writing

    /// Runs `body` on the writer thread inside a savepoint of a group-commit transaction, and
    /// returns its result once that transaction has committed. If `body` throws, only its own
    /// changes are rolled back and the error is rethrown here. Write closures must not BEGIN,
    /// COMMIT or ROLLBACK themselves (savepoints of their own are fine). Once queued, a write
    /// runs even if the calling task is cancelled, and the caller still gets its outcome.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws
        -> T
    {
        try await submit(to: writer.submit, transactional: true, body)
    }

    /// `write` for code that is not async (CLI, start-up). Blocks the calling thread, so never
    /// call it from the cooperative pool; throws `DatabaseError.reentrantCall` inside a closure.
    public func writeBlocking<T>(_ body: (Connection) throws -> T) throws -> T {
        try submitBlocking(to: writer.submit, transactional: true, body)
    }

    // MARK: Reading

    /// Runs `body` on a reader thread in a read transaction (one consistent snapshot of the last
    /// commit). Read connections are `query_only`: writing in `body` throws `SQLiteError.readOnly`.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws
        -> T
    {
        try await submit(to: readers.submit, transactional: true, body)
    }

    /// `read` for a lookup by key (a row by its id): runs `body` on the calling thread when one
    /// of the inline read connections is free, so an event loop answers without two thread
    /// hops; otherwise (all lent, or SQLite busy) on a reader thread like `read` (SPEC §1.3).
    /// The caller's thread is held while `body` runs: nothing longer than a lookup by key.
    public func keyedRead<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        guard !isClosed else { throw DatabaseError.closed }
        if let outcome = inline.read(body) { return try outcome.get() }
        return try await read(body)
    }

    /// `keyedRead` without suspending: the outcome when an inline connection was free, nil when
    /// the caller must use `keyedRead` (or `read`) instead (SPEC §1.3). `oneStatement`: `body`
    /// runs a single statement, its own read transaction (no BEGIN and COMMIT around it).
    public func keyedReadNow<T>(oneStatement: Bool = false, _ body: (Connection) throws -> T) -> Result<T, any Error>? {
        guard !isClosed else { return .failure(DatabaseError.closed) }
        return inline.read(oneStatement: oneStatement, body)
    }

    /// `read` for code that is not async. Blocks the calling thread; see `writeBlocking`.
    public func readBlocking<T>(_ body: (Connection) throws -> T) throws -> T {
        try submitBlocking(to: readers.submit, transactional: true, body)
    }

    // MARK: Writer-exclusive work (migrations)

    /// Runs `body` alone on the write connection with no transaction around it.
    func exclusive<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws
        -> T
    {
        try await submit(to: writer.submit, transactional: false, body)
    }

    func exclusiveBlocking<T>(_ body: (Connection) throws -> T) throws -> T {
        try submitBlocking(to: writer.submit, transactional: false, body)
    }

    // MARK: Life cycle

    /// Changes the writer has ended (committed or rolled back) so far. A cache of rows reads it
    /// before a read and keeps what the read saw only if it is unchanged at the time of keeping
    /// (under the cache's own lock): then no change ended in between whose rows it would not
    /// hear of through `watchRows`. Only this process's writer counts.
    public var writesEnded: UInt64 { writer.counters.changesEnded.load(ordering: .sequentiallyConsistent) }

    /// Calls `changed` with the rowids of `table` that each change of the writer inserted,
    /// updated or deleted, once that change has ended (committed or not) and before its callers
    /// resume; on the writer thread, so it must be quick and must not wait for the database.
    public func watchRows(of table: String, _ changed: @escaping @Sendable ([Int64]) -> Void) {
        writer.counters.rowChanges.watch(table, changed)
    }

    /// Counters of the writer (commits, writes, failed batches, queue depth).
    public var statistics: DatabaseStatistics {
        DatabaseStatistics(
            commits: writer.counters.commits.load(ordering: .relaxed),
            writes: writer.counters.writes.load(ordering: .relaxed),
            failedBatches: writer.counters.failedBatches.load(ordering: .relaxed),
            queuedWrites: writer.queuedCount, checkpoints: checkpointer.completed)
    }

    /// The writer's per-statement timings, when `configuration.profileWriter` is set.
    public var writerProfile: StatementProfile? { writer.profile }

    public var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Lets queued reads and writes finish, checkpoints the WAL (TRUNCATE) and closes every
    /// connection. Later calls throw `DatabaseError.closed`. Idempotent; blocks until done.
    public func close() {
        closing.withLock { _ in
            guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
            // The checkpointer and readers first, so nothing holds the final checkpoint back.
            checkpointer.shutdown()
            inline.close()
            readers.shutdown()
            writer.shutdown()
        }
    }

    /// `close()` without blocking a cooperative thread.
    public func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            OSThread.detach(name: "baton-db-close") {
                self.close()
                done.resume()
            }
        }
    }

    // MARK: Bridging

    private var isOwnThread: Bool { writer.isCurrentThread || readers.isCurrentThread }

    private func submit<T: Sendable>(
        to enqueue: (any ConnectionWork) throws -> Void, transactional: Bool,
        _ body: @escaping @Sendable (Connection) throws -> T
    ) async throws -> T {
        guard !isClosed else { throw DatabaseError.closed }
        return try await withCheckedThrowingContinuation { continuation in
            let request = Request(transactional: transactional, body: body) {
                continuation.resume(with: $0)
            }
            do {
                try enqueue(request)
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    private func submitBlocking<T>(
        to enqueue: (any ConnectionWork) throws -> Void, transactional: Bool,
        _ body: (Connection) throws -> T
    ) throws -> T {
        guard !isClosed else { throw DatabaseError.closed }
        guard !isOwnThread else { throw DatabaseError.reentrantCall }
        // The caller waits until the closure has run, so it never really escapes; the request
        // drops it before signalling, which `withoutActuallyEscaping` verifies.
        return try withoutActuallyEscaping(body) { body in
            let outcome = Handover<Result<T, any Error>>()
            let done = Latch()
            try enqueue(
                Request(transactional: transactional, body: body) {
                    outcome.value = $0
                    done.open()
                })
            done.wait()
            return try outcome.value!.get()
        }
    }
}

/// Carries a result from a connection thread to a blocked caller; the semaphore orders access.
private final class Handover<Value>: @unchecked Sendable {
    var value: Value?
}

import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Read connections lent to the calling thread for a read by key (one row by its id), so a
/// handler on an event loop answers without a hop to a reader thread and back (SPEC §1.3).
///
/// A connection is lent only when one is free, and a lock is never waited for: the connections
/// have no busy timeout, so a read that meets SQLite's busy answer (a WAL reset or recovery in
/// another connection) gives up at once and the caller uses the reader threads instead. What
/// can hold the caller's thread is only the read itself: keep bodies to a lookup by key.
final class InlineReaders: Sendable {
    /// A connection passed between threads: only through the mutex, and used by one thread at a
    /// time (SQLite's multi-thread mode allows exactly that).
    private struct Handle: @unchecked Sendable {
        let connection: Connection
    }

    private struct State: ~Copyable {
        var free: [Handle]
        var closed = false
        /// Connections lent out now; `close` waits for them to come back.
        var lent = 0
    }

    /// Page cache per inline connection, in KiB: a lookup by key touches a few pages, and these
    /// connections never have a quiet spell to give a larger cache back in (SPEC §1.3).
    static let cacheKiB = 256

    private let state: Mutex<State>

    /// Opens `count` read-only connections (none when `count` is 0). Blocks while they open.
    init(path: String, count: Int, statementCacheSize: Int) throws {
        let options = Connection.Options(
            readOnly: true, create: false, busyTimeoutMs: 0, statementCacheSize: statementCacheSize)
        var opened: [Connection] = []
        for _ in 0..<max(0, count) {
            let connection = try Connection(path: path, options: options)
            // Best effort: SQLite reads the schema for it, which a lock held elsewhere can refuse.
            try? connection.execute("PRAGMA cache_size = -\(Self.cacheKiB)")
            opened.append(connection)
        }
        state = Mutex(State(free: opened.map(Handle.init)))
    }

    /// Runs `body` in a read transaction on a free connection, on this thread. Nil when no
    /// connection is free, the readers are closed, or SQLite answered busy: the caller then
    /// reads through the reader pool (`body` may have run partly; reads change nothing).
    /// `oneStatement`: `body` runs one statement, which is a read transaction of its own, so
    /// no BEGIN and COMMIT are run around it (two statements fewer per lookup); a second
    /// statement would see the data as of its own start.
    func read<T>(oneStatement: Bool = false, _ body: (Connection) throws -> T) -> Result<T, any Error>? {
        guard let connection = borrow() else { return nil }
        defer { giveBack(connection) }
        do {
            if !oneStatement { try connection.execute("BEGIN") }
        } catch {
            return nil
        }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try body(connection))
        } catch {
            outcome = .failure(error)
        }
        do {
            if !oneStatement || connection.isInTransaction { try connection.execute("COMMIT") }
        } catch {
            try? connection.execute("ROLLBACK")
            if case .success = outcome { return nil }
        }
        if case .failure(let error as SQLiteError) = outcome, error.isBusy { return nil }
        return outcome
    }

    /// Closes every connection: the free ones now, and waits (a lookup takes microseconds; at most
    /// `waitMs`) for lent ones to come back, so the writer's last checkpoint finds no reader.
    func close(waitMs: Int = 5000) {
        var free = state.withLock { state -> [Handle] in
            state.closed = true
            defer { state.free = [] }
            return state.free
        }
        for handle in free { handle.connection.close() }
        var waited = 0
        while waited < waitMs {
            free = state.withLock { state -> [Handle] in
                defer { state.free = [] }
                return state.free
            }
            for handle in free { handle.connection.close() }
            if state.withLock({ $0.lent }) == 0 { return }
            usleep(1000)
            waited += 1
        }
    }

    private func borrow() -> Connection? {
        state.withLock { state -> Handle? in
            guard !state.closed, let handle = state.free.popLast() else { return nil }
            state.lent += 1
            return handle
        }?.connection
    }

    /// Returns a connection; after `close` began it goes to the free list only for `close` to
    /// close it on its own thread (a connection is closed where it is not in use).
    private func giveBack(_ connection: Connection) {
        let handle = Handle(connection: connection)
        state.withLock { state in
            state.lent -= 1
            state.free.append(handle)
        }
    }
}

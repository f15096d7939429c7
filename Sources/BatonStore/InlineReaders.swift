import Synchronization

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
    }

    private let state: Mutex<State>

    /// Opens `count` read-only connections (none when `count` is 0). Blocks while they open.
    init(path: String, count: Int, statementCacheSize: Int) throws {
        let options = Connection.Options(
            readOnly: true, create: false, busyTimeoutMs: 0, statementCacheSize: statementCacheSize)
        var opened: [Connection] = []
        for _ in 0..<max(0, count) { opened.append(try Connection(path: path, options: options)) }
        state = Mutex(State(free: opened.map(Handle.init)))
    }

    /// Runs `body` in a read transaction on a free connection, on this thread. Nil when no
    /// connection is free, the readers are closed, or SQLite answered busy: the caller then
    /// reads through the reader pool (`body` may have run partly; reads change nothing).
    func read<T>(_ body: (Connection) throws -> T) -> Result<T, any Error>? {
        guard let connection = borrow() else { return nil }
        defer { giveBack(connection) }
        do {
            try connection.execute("BEGIN")
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
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            if case .success = outcome { return nil }
        }
        if case .failure(let error as SQLiteError) = outcome, error.isBusy { return nil }
        return outcome
    }

    /// Closes the free connections now and each lent one when it comes back.
    func close() {
        let free = state.withLock { state -> [Handle] in
            state.closed = true
            defer { state.free = [] }
            return state.free
        }
        for handle in free { handle.connection.close() }
    }

    private func borrow() -> Connection? {
        state.withLock { state in state.closed ? nil : state.free.popLast() }?.connection
    }

    private func giveBack(_ connection: Connection) {
        let handle = Handle(connection: connection)
        let keep = state.withLock { state in
            if state.closed { return false }
            state.free.append(handle)
            return true
        }
        if !keep { connection.close() }
    }
}

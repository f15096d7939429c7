import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// A dedicated OS thread that opens one connection, serves work with it, and closes it. Blocking
/// SQLite calls thus never run on Swift's cooperative pool, and a connection never changes thread.
final class ConnectionThread: Sendable {
    private let finished = Latch()
    private let threadID = Locked<pthread_t?>(nil)

    /// Starts the thread and waits until `open` has succeeded or failed (rethrowing its error).
    /// `serve` runs until it returns (its queue closed); then the connection is closed.
    init(
        name: String, open: @escaping @Sendable () throws -> Connection,
        serve: @escaping @Sendable (Connection) -> Void
    ) throws {
        let opened = Latch()
        let openError = Locked<(any Error)?>(nil)
        OSThread.detach(name: name) { [finished, threadID] in
            threadID.withLock { $0 = pthread_self() }
            defer { finished.open() }
            let connection: Connection
            do {
                connection = try open()
            } catch {
                openError.withLock { $0 = error }
                opened.open()
                return
            }
            opened.open()
            serve(connection)
            connection.close()
        }
        opened.wait()
        if let error = openError.value {
            finished.wait()
            throw error
        }
    }

    /// True when called on this thread (a blocking wait here would deadlock).
    var isCurrent: Bool {
        threadID.withLock { id in id.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Waits for the thread to finish (after its queue was closed).
    func join() { finished.wait() }
}

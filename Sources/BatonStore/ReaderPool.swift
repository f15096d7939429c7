/// Read connections, each owned by its own thread, serving one shared queue so reads run in
/// parallel with each other and with the writer (WAL lets readers see the last commit).
final class ReaderPool: Sendable {
    private let queue: WorkQueue<any ConnectionWork>
    private let threads: [ConnectionThread]

    init(path: String, configuration: DatabaseConfiguration) throws {
        let options = Connection.Options(
            readOnly: true, create: false, busyTimeoutMs: configuration.busyTimeoutMs,
            statementCacheSize: configuration.statementCacheSize)
        let queue = WorkQueue<any ConnectionWork>()
        self.queue = queue
        var started: [ConnectionThread] = []
        do {
            for index in 0..<max(1, configuration.readerCount) {
                started.append(
                    try ConnectionThread(
                        name: "baton.store.reader.\(index)",
                        open: { try Connection(path: path, options: options) },
                        serve: { [queue] connection in
                            ReaderPool.serve(connection, queue: queue, idleMs: configuration.idleReleaseMs)
                        }))
            }
        } catch {
            queue.close()
            for thread in started { thread.join() }
            throw error
        }
        threads = started
    }

    func submit(_ work: any ConnectionWork) throws { try queue.push(work) }

    var isCurrentThread: Bool { threads.contains { $0.isCurrent } }

    /// Finishes queued reads and closes every read connection.
    func shutdown(wait: Bool = true) {
        queue.close()
        for thread in threads where wait && !thread.isCurrent { thread.join() }
    }

    private static func serve(_ connection: Connection, queue: WorkQueue<any ConnectionWork>, idleMs: Int) {
        while let batch = queue.take(
            max: 1, idleMs: idleMs, idle: { connection.releaseMemory() }, joins: { _ in false })
        {
            for work in batch { read(work, on: connection) }
        }
    }

    /// Runs one read in its own transaction, so every query in it sees the same snapshot.
    private static func read(_ work: any ConnectionWork, on connection: Connection) {
        do {
            try connection.execute("BEGIN")
        } catch {
            return work.finish(failure: error)
        }
        let succeeded = work.run(connection)
        var failure: (any Error)?
        if connection.isInTransaction {
            do {
                try connection.execute(succeeded ? "COMMIT" : "ROLLBACK")
            } catch {
                failure = error
                try? connection.execute("ROLLBACK")
            }
        }
        work.finish(failure: failure)
    }
}

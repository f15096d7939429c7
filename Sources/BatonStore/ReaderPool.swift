/// Read connections, each owned by its own thread, serving one shared queue so reads run in
/// parallel with each other and with the writer (WAL lets readers see the last commit).
final class ReaderPool: Sendable {
    private let queue: WorkQueue<any Job>
    private let threads: [ConnectionThread]

    init(path: String, configuration: DatabaseConfiguration) throws {
        let options = Connection.Options(
            readOnly: true, create: false, busyTimeoutMs: configuration.busyTimeoutMs,
            statementCacheSize: configuration.statementCacheSize)
        let queue = WorkQueue<any Job>()
        self.queue = queue
        var started: [ConnectionThread] = []
        do {
            for index in 0..<max(1, configuration.readerCount) {
                started.append(
                    try ConnectionThread(
                        name: "baton.store.reader.\(index)",
                        open: { try Connection(path: path, options: options) },
                        serve: { [queue] connection in ReaderPool.serve(connection, queue: queue) }))
            }
        } catch {
            queue.close()
            for thread in started { thread.join() }
            throw error
        }
        threads = started
    }

    func submit(_ job: any Job) throws { try queue.push(job) }

    var isCurrentThread: Bool { threads.contains { $0.isCurrent } }

    /// Finishes queued reads and closes every read connection.
    func shutdown(wait: Bool = true) {
        queue.close()
        for thread in threads where wait && !thread.isCurrent { thread.join() }
    }

    private static func serve(_ connection: Connection, queue: WorkQueue<any Job>) {
        while let jobs = queue.take(max: 1, joins: { _ in false }) {
            for job in jobs { read(job, on: connection) }
        }
    }

    /// Runs one read in its own transaction, so every query in it sees the same snapshot.
    private static func read(_ job: any Job, on connection: Connection) {
        do {
            try connection.execute("BEGIN")
        } catch {
            return job.finish(failure: error)
        }
        let succeeded = job.run(connection)
        var failure: (any Error)?
        if connection.isInTransaction {
            do {
                try connection.execute(succeeded ? "COMMIT" : "ROLLBACK")
            } catch {
                failure = error
                try? connection.execute("ROLLBACK")
            }
        }
        job.finish(failure: failure)
    }
}

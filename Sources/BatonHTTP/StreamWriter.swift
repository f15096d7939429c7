/// The `ResponseBodyWriter` handed to `.stream` bodies. Each write hops to the connection's loop,
/// which frames and sends the bytes and resumes the writer once the unsent backlog is small
/// (backpressure); after the client has gone, or once the task is cancelled, writes throw `.closed`.
/// Concurrent writes (an event task and a heartbeat task, say) are each sent whole, in arrival order.
final class StreamWriter: ResponseBodyWriter {
    private let connection: HTTPConnection

    init(connection: HTTPConnection) {
        self.connection = connection
    }

    func write(_ bytes: [UInt8]) async throws {
        if Task.isCancelled { throw ResponseBodyWriterError.closed }
        guard !bytes.isEmpty else { return }
        let connection = self.connection
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let accepted = connection.loop.execute { connection.streamWrite(bytes, continuation) }
                if !accepted { continuation.resume(throwing: ResponseBodyWriterError.closed) }
            }
        } onCancel: {
            // A writer waiting for a slow client must not hold up shutdown. Queued, not inline:
            // the canceller may be the connection itself, in the middle of closing.
            connection.loop.enqueue { connection.releaseWriters() }
        }
    }
}

/// A caller's closure and how to hand its result back (continuation or semaphore).
final class Request<T>: ConnectionWork, @unchecked Sendable {
    // @unchecked: created by the caller, then touched only by the one connection thread that took
    // it from the queue (the queue's lock orders the handover).
    let isTransactional: Bool
    private var body: ((Connection) throws -> T)?
    private var completion: ((Result<T, any Error>) -> Void)?
    private var outcome: Result<T, any Error>?
    var queuedAt = 0

    init(
        transactional: Bool, body: @escaping (Connection) throws -> T,
        completion: @escaping (Result<T, any Error>) -> Void
    ) {
        self.isTransactional = transactional
        self.body = body
        self.completion = completion
    }

    func run(_ connection: Connection) -> Bool {
        guard let body else { return false }
        do {
            outcome = .success(try body(connection))
            return true
        } catch {
            outcome = .failure(error)
            return false
        }
    }

    func finish(failure: (any Error)?) {
        let result: Result<T, any Error>
        switch (outcome, failure) {
        case (.failure(let error)?, _): result = .failure(error)
        case (_, let failure?): result = .failure(failure)
        case (.success(let value)?, nil): result = .success(value)
        case (nil, nil): result = .failure(DatabaseError.closed)
        }
        // Drop the body before resuming: blocking callers pass a closure that must not outlive them.
        body = nil
        outcome = nil
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}

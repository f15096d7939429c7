/// What the server calls for each complete request. The router is one; tests may supply others.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse
    /// The answer if it can be given without suspending, else the work that gives it. The server
    /// calls this on the connection's loop thread: a `.ready` answer is written at once, without
    /// creating a task (SPEC §2.1); `.pending` work runs in a task on the same loop.
    func respondImmediately(to request: HTTPRequest) -> HTTPAnswer
}

extension HTTPResponder {
    /// Responders that always suspend (or do not say) answer through `respond(to:)` in a task.
    public func respondImmediately(to request: HTTPRequest) -> HTTPAnswer {
        .pending { await respond(to: request) }
    }
}

/// A responder's answer to one request: given now, or still to be worked out.
public enum HTTPAnswer: Sendable {
    case ready(HTTPResponse)
    case pending(@Sendable () async -> HTTPResponse)

    /// The response, awaiting the work when there is any.
    public func response() async -> HTTPResponse {
        switch self {
        case .ready(let response): response
        case .pending(let work): await work()
        }
    }
}

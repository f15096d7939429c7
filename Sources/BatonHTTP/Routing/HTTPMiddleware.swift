/// A route handler: a request and its context in, a response out. Thrown errors render themselves
/// (see `HTTPResponseError`).
public typealias HTTPHandler = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

/// A route handler that answers without suspending (from memory, say). A request whose every
/// middleware step can run synchronously too is answered on the connection's loop without a task
/// (SPEC §2.1).
public typealias HTTPSyncHandler = @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse

/// A handler that answers without suspending when it can, and returns nil when it cannot (a
/// resource it needs is busy); the route's async handler then answers (SPEC §2.1).
public typealias HTTPAttemptHandler = @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse?

/// Code that runs around handlers. Chains are composed once, when the router is built. `next`
/// never throws: an error thrown below has already been rendered into the response it returns,
/// so every middleware sees the status the client will get.
public protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse

    /// This middleware as it runs on one route: `method` on `route`, the pattern a matched
    /// request's `context.route` names. The router asks once per route when it is built, so what
    /// depends only on the route is worked out then, not per request. A request's method can
    /// still differ from `method`: HEAD is answered by the GET route. The 404/405 answers run
    /// the middleware as given.
    func forRoute(method: HTTPMethod, route: String) -> any HTTPMiddleware
}

extension HTTPMiddleware {
    public func forRoute(method: HTTPMethod, route: String) -> any HTTPMiddleware { self }
}

/// Middleware that is a step before the layers inside it and a step after them, neither of which
/// suspends — for every request, or for the requests `before` accepts. The router runs these
/// steps directly, without an `async` call per layer (SPEC §2.1); `handle` (derived below for
/// middleware that always accept) is the same logic for chains that run in a task.
public protocol HTTPStepMiddleware: HTTPMiddleware {
    /// Runs before the inner layers: changes `context` for them, or throws to answer instead.
    /// Returns false, having changed nothing, when this request needs the layer's `handle` (it has
    /// to suspend: a database read, an audit append).
    func before(_ request: HTTPRequest, context: inout RequestContext) throws -> Bool

    /// Runs on the answer of the inner layers (errors already rendered into it). `context` is the
    /// one `before` handed on.
    func after(_ request: HTTPRequest, context: RequestContext, response: inout HTTPResponse)
}

extension HTTPStepMiddleware {
    public func after(_ request: HTTPRequest, context: RequestContext, response: inout HTTPResponse) {}

    /// `before`, the inner layers, `after`: for middleware whose `before` accepts every request.
    /// Middleware whose `before` may decline implement `handle` themselves.
    public func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse
    {
        var inner = context
        guard try before(request, context: &inner) else {
            preconditionFailure("\(Self.self).before declined a request but the type has no handle of its own")
        }
        var response = try await next(request, inner)
        after(request, context: inner, response: &response)
        return response
    }
}

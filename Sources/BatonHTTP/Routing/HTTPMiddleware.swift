/// A route handler: a request and its context in, a response out. Thrown errors render themselves
/// (see `HTTPResponseError`).
public typealias HTTPHandler = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

/// Code that runs around handlers. Chains are composed once, when the router is built. `next`
/// never throws: an error thrown below has already been rendered into the response it returns,
/// so every middleware sees the status the client will get.
public protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse
}

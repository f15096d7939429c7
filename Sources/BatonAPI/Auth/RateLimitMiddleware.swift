import BatonCore
import BatonHTTP

/// 429 with `Retry-After` once a key (or, for webhooks, a source address) exceeds its route
/// class's rate. Runs after authentication, so an unauthenticated flood is refused by auth first
/// and never fills the limiter with forged identities. Liveness and the spec are never limited.
struct RateLimitMiddleware: HTTPMiddleware {
    let limiter: RateLimiter

    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
        let who: String
        let routeClass: String
        if context.route == "/webhooks/linear" {
            who = Self.host(context.remoteAddress)
            routeClass = "webhook"
        } else if let principal = context.storage[PrincipalKey.self] {
            who = principal.keyID
            switch request.method {
            case .get, .head, .options: routeClass = "read"
            default: routeClass = "write"
            }
        } else {
            return try await next(request, context)
        }
        if let wait = limiter.take(who: who, routeClass: routeClass) {
            throw HTTPError.tooManyRequests(retryAfter: wait)
        }
        return try await next(request, context)
    }

    /// `1.2.3.4:5678` → `1.2.3.4`: one bucket per client address, not per connection.
    static func host(_ address: String) -> String {
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon])
    }
}

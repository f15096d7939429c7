import BatonCore
import BatonHTTP

/// 429 with `Retry-After` once a key (or, for webhooks, a source address) exceeds its route
/// class's rate. Runs after authentication, so an unauthenticated flood is refused by auth first
/// (and by `SourceLimitMiddleware` before that) and never fills the limiter with forged
/// identities. Liveness and the spec are never limited.
struct RateLimitMiddleware: HTTPStepMiddleware {
    let limiter: RateLimiter
    /// `baton_rate_limited_total`, by class.
    let limited: CounterFamily?

    func before(_ request: HTTPRequest, context: inout RequestContext) throws -> Bool {
        let who: String
        let routeClass: String
        if context.route == "/webhooks/linear" {
            who = SourceAddress.key(context.remoteAddress)
            routeClass = "webhook"
        } else if let principal = context.storage[PrincipalKey.self] {
            who = principal.keyID
            switch request.method {
            case .get, .head, .options: routeClass = "read"
            default: routeClass = "write"
            }
        } else {
            return true
        }
        if let wait = limiter.take(who: who, routeClass: routeClass) {
            limited?.labels(routeClass).inc()
            throw HTTPError.tooManyRequests(retryAfter: wait)
        }
        return true
    }
}

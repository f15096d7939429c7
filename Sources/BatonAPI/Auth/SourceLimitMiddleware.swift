import BatonCore
import BatonHTTP

/// In front of audit and authentication: a request to a route that needs a key, made without a
/// valid one, takes a token from its source's `anonymous` bucket (`server.rate_limits.anonymous`
/// per minute, per `SourceAddress.key`; SPEC §2.7). Beyond it the answer is 429 with
/// `Retry-After` before the key is looked at again, the route runs or anything is written: a
/// refused change attempt is only counted into its source's coalesced audit entry. Requests with
/// a valid key and public routes (liveness, the spec, webhooks, which have their own limit) never
/// take from it, so a flood from one address does not lock out the workers or operators there.
struct SourceLimitMiddleware: HTTPMiddleware {
    let credentials: Credentials
    let policy: AccessPolicy
    let limiter: RateLimiter
    let refusedAudit: AuditCoalescer
    /// `baton_rate_limited_total{class="anonymous"}`.
    let limited: Counter?

    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
        var context = context
        let check = await KeyCheck.check(request, credentials: credentials)
        context.storage[KeyCheckKey.self] = check
        // Signing in is public but presents a key in its body: it takes from the same bucket, so a
        // source cannot try keys faster than it could send them in headers.
        let signIn = AccessPolicy.isPublicOperation(method: request.method, route: context.route)
        if signIn
            || (check.principal == nil && policy.requirement(method: request.method, route: context.route) != .none)
        {
            let source = SourceAddress.key(context.remoteAddress)
            if let wait = limiter.take(who: source, routeClass: "anonymous") {
                limited?.inc()
                let refusal = HTTPError.tooManyRequests(retryAfter: wait)
                if AuditMiddleware.audits(request.method) {
                    await refusedAudit.record(
                        AuditMiddleware.sizeOnlyDraft(
                            request, context, principal: nil, status: refusal.status.code, reason: refusal.code),
                        source: source, bodyBytes: request.body.count)
                }
                throw refusal
            }
        }
        return try await next(request, context)
    }
}

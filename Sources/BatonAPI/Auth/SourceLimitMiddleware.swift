import BatonCore
import BatonHTTP

/// In front of audit and authentication: a request to a route that needs a key, made without a
/// valid one, takes a token from its source's `anonymous` bucket (`server.rate_limits.anonymous`
/// per minute, per `SourceAddress.key`; SPEC §2.7). Beyond it the answer is 429 with
/// `Retry-After` before the key is looked at again, the route runs or anything is written: a
/// refused change attempt is only counted into its source's coalesced audit entry. Requests with
/// a valid key and public routes (liveness, the spec, webhooks, which have their own limit) never
/// take from it, so a flood from one address does not lock out the workers or operators there.
struct SourceLimitMiddleware: HTTPStepMiddleware {
    let credentials: Credentials
    let policy: AccessPolicy
    let limiter: RateLimiter
    let refusedAudit: AuditCoalescer
    /// `baton_rate_limited_total{class="anonymous"}`.
    let limited: Counter?
    /// `limited(_:_:)` for the route's own method, worked out when the router was built.
    var routeRule: (method: HTTPMethod, limited: Bool?)? = nil

    func forRoute(method: HTTPMethod, route: String) -> any HTTPMiddleware {
        guard policy.fixedRequirement(method: method, route: route) != nil else { return self }
        var specialized = self
        specialized.routeRule = (method, Self.limited(method, route, policy))
        return specialized
    }

    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
        guard let signIn = limited(request, context) else { return try await next(request, context) }
        var context = context
        let check = await KeyCheck.check(request, credentials: credentials)
        if let refusal = admit(request, &context, check, signIn: signIn) {
            if AuditMiddleware.audits(request.method) {
                await refusedAudit.record(
                    AuditMiddleware.sizeOnlyDraft(
                        request, context, principal: nil, status: refusal.status.code, reason: refusal.code),
                    source: SourceAddress.key(context.remoteAddress), bodyBytes: request.body.count)
            }
            throw refusal
        }
        return try await next(request, context)
    }

    /// The same without suspending (SPEC §2.1): for reads, whose refusal is not audited, when the
    /// key check needs no wait.
    func before(_ request: HTTPRequest, context: inout RequestContext) throws -> Bool {
        guard !AuditMiddleware.audits(request.method) else { return false }
        guard let signIn = limited(request, context) else { return true }
        guard let check = KeyCheck.checkFromMemory(request, credentials: credentials) else { return false }
        if let refusal = admit(request, &context, check, signIn: signIn) { throw refusal }
        return true
    }

    /// Whether the request may take from its source's bucket: nil for a public route (no key is
    /// looked at: audit checks one itself if it needs it), else whether it signs in.
    private func limited(_ request: HTTPRequest, _ context: RequestContext) -> Bool? {
        if let routeRule, routeRule.method == request.method { return routeRule.limited }
        return Self.limited(request.method, context.route, policy)
    }

    private static func limited(_ method: HTTPMethod, _ route: String, _ policy: AccessPolicy) -> Bool? {
        // Signing in is public but presents a key in its body: it takes from the same bucket, so a
        // source cannot try keys faster than it could send them in headers.
        if AccessPolicy.isPublicOperation(method: method, route: route) { return true }
        return policy.requirement(method: method, route: route) == .none ? nil : false
    }

    /// Leaves the key check in the context; the 429 when the request must take from its source's
    /// bucket (it signs in, or has no valid key) and it is empty.
    private func admit(_ request: HTTPRequest, _ context: inout RequestContext, _ check: KeyCheck, signIn: Bool)
        -> HTTPError?
    {
        context.storage[KeyCheckKey.self] = check
        guard signIn || check.principal == nil else { return nil }
        guard let wait = limiter.take(who: SourceAddress.key(context.remoteAddress), routeClass: "anonymous") else {
            return nil
        }
        limited?.inc()
        return HTTPError.tooManyRequests(retryAfter: wait)
    }
}

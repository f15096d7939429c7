import BatonCore
import BatonCrypto
import BatonHTTP
import BatonJSON

/// Bearer authentication and role checks, before any handler runs: 401 for a missing, malformed,
/// unknown or revoked key, 403 for a role below what the route needs. The principal is left in
/// `context.storage[PrincipalKey.self]`.
struct AuthMiddleware: HTTPStepMiddleware {
    let credentials: Credentials
    let policy: AccessPolicy
    /// What the route's own method needs, worked out when the router was built.
    var routeRule: RouteRule? = nil

    struct RouteRule {
        let method: HTTPMethod
        let requirement: AccessPolicy.Requirement
        let isInstanceOperation: Bool
    }

    func forRoute(method: HTTPMethod, route: String) -> any HTTPMiddleware {
        guard let requirement = policy.fixedRequirement(method: method, route: route) else { return self }
        var specialized = self
        specialized.routeRule = RouteRule(
            method: method, requirement: requirement,
            isInstanceOperation: policy.isInstanceOperation(method: method, route: route))
        return specialized
    }

    /// The route's requirement, and whether it is an operation on the whole instance.
    private func rule(_ request: HTTPRequest, _ context: RequestContext) -> RouteRule {
        if let routeRule, routeRule.method == request.method { return routeRule }
        return RouteRule(
            method: request.method, requirement: policy.requirement(method: request.method, route: context.route),
            isInstanceOperation: policy.isInstanceOperation(method: request.method, route: context.route))
    }

    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
        let rule = rule(request, context)
        let requirement = rule.requirement
        guard case .anyOf(let needed) = requirement else { return try await next(request, context) }
        // The key was checked in front of audit (`KeyCheck`); checked here only without that layer.
        let check = await KeyCheck.of(request, context, credentials: credentials)
        var context = context
        try admit(request, &context, rule, needed, check)
        return try await next(request, context)
    }

    /// The same decision without suspending, when the key check needs no wait (SPEC §2.1).
    func before(_ request: HTTPRequest, context: inout RequestContext) throws -> Bool {
        let rule = rule(request, context)
        guard case .anyOf(let needed) = rule.requirement else { return true }
        guard let check = KeyCheck.fromMemory(request, context, credentials: credentials) else { return false }
        try admit(request, &context, rule, needed, check)
        return true
    }

    /// Throws the 401 or 403 for a request to a route that needs a key, or leaves its principal in
    /// the context.
    private func admit(
        _ request: HTTPRequest, _ context: inout RequestContext, _ rule: RouteRule, _ needed: [Role],
        _ check: KeyCheck
    ) throws {
        switch check.header {
        case .malformed: throw HTTPError.unauthorized("the Authorization header must be: Bearer <key>")
        case .absent where check.sessionToken == nil:
            throw HTTPError.unauthorized("an API key is required: send Authorization: Bearer <key>")
        case .absent, .bearer: break
        }
        guard let principal = check.principal else {
            if check.sessionToken != nil, check.header == .absent {
                throw HTTPError.unauthorized(
                    "the session has ended (signed out, expired or its key revoked): sign in again")
            }
            throw HTTPError.unauthorized("the API key is unknown or revoked")
        }
        // A session cookie goes with every request the browser makes, a forged one from another
        // site included (SameSite=Strict aside): a change also needs the session's CSRF token,
        // which only a page of this origin can read (SPEC §2.12).
        if let session = check.session, !request.method.isSafe {
            guard let given = request.headers[Self.csrfHeader],
                ConstantTime.equals(Array(given.utf8), Array(session.csrfToken.utf8))
            else {
                throw HTTPError.forbidden(
                    "a change made with a session cookie needs its CSRF token in \(Self.csrfHeader) (from POST or GET /api/v1/session)"
                )
            }
        }
        guard rule.requirement.admits(principal.role) else {
            let names = needed.map(\.rawValue).joined(separator: " or ")
            throw HTTPError.forbidden("this needs a key with the \(names) role; this key is \(principal.role.rawValue)")
        }
        if principal.tenant != policy.systemTenant, rule.isInstanceOperation {
            throw HTTPError.forbidden(
                "this concerns the whole instance: it needs a key of the system tenant, not of \(JSONText.quote(principal.tenant))"
            )
        }
        context.storage[PrincipalKey.self] = principal
    }

    static let csrfHeader = "X-CSRF-Token"

    /// The token of `Bearer <token>` (scheme case-insensitive); nil for any other shape.
    /// `Bearer <token>` (scheme case-insensitive, spaces around either part ignored); nil for
    /// anything else. Works on the UTF-8 bytes: it runs on every request.
    static func bearerToken(_ header: String) -> String? {
        let bytes = header.utf8
        guard bytes.count <= 256 else { return nil }
        var i = bytes.startIndex
        func skipSpaces() { while i != bytes.endIndex && bytes[i] == UInt8(ascii: " ") { i = bytes.index(after: i) } }
        skipSpaces()
        for expected in "bearer".utf8 {
            guard i != bytes.endIndex, bytes[i] | 0x20 == expected else { return nil }
            i = bytes.index(after: i)
        }
        guard i != bytes.endIndex, bytes[i] == UInt8(ascii: " ") else { return nil }
        skipSpaces()
        let start = i
        while i != bytes.endIndex && bytes[i] != UInt8(ascii: " ") { i = bytes.index(after: i) }
        let end = i
        skipSpaces()
        guard start != end, i == bytes.endIndex else { return nil }
        return String(header.utf8[start..<end])
    }
}

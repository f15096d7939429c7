import BatonCore
import BatonHTTP

/// Bearer authentication and role checks, before any handler runs: 401 for a missing, malformed,
/// unknown or revoked key, 403 for a role below what the route needs. The principal is left in
/// `context.storage[PrincipalKey.self]`.
struct AuthMiddleware: HTTPMiddleware {
    let keys: KeyStore
    let policy: AccessPolicy

    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
        let requirement = policy.requirement(method: request.method, route: context.route)
        guard case .anyOf(let needed) = requirement else { return try await next(request, context) }
        guard let header = request.headers["Authorization"] else {
            throw HTTPError.unauthorized("an API key is required: send Authorization: Bearer <key>")
        }
        guard let token = Self.bearerToken(header) else {
            throw HTTPError.unauthorized("the Authorization header must be: Bearer <key>")
        }
        guard let principal = await keys.authenticate(token) else {
            throw HTTPError.unauthorized("the API key is unknown or revoked")
        }
        guard requirement.admits(principal.role) else {
            let names = needed.map(\.rawValue).joined(separator: " or ")
            throw HTTPError.forbidden("this needs a key with the \(names) role; this key is \(principal.role.rawValue)")
        }
        var context = context
        context.storage[PrincipalKey.self] = principal
        return try await next(request, context)
    }

    /// The token of `Bearer <token>` (scheme case-insensitive); nil for any other shape.
    static func bearerToken(_ header: String) -> String? {
        guard header.utf8.count <= 256 else { return nil }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1])
    }
}

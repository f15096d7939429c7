import BatonCore
import BatonHTTP

/// Appends an audit entry for every request that may change something (any method but GET, HEAD
/// and OPTIONS), after it is answered and whatever the answer — refused attempts are security
/// events too. It runs outside authentication so it sees 401/403/429 answers, and identifies the
/// caller itself (a cached key check, no database read).
struct AuditMiddleware: HTTPMiddleware {
    let audit: AuditLog
    let keys: KeyStore
    let log: @Sendable (String) -> Void

    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
        switch request.method {
        case .get, .head, .options: return try await next(request, context)
        default: break
        }
        let slot = PrincipalSlot()
        var inner = context
        inner.storage[PrincipalSlotKey.self] = slot
        let response = try await next(request, inner)
        // The auth middleware fills the slot when it accepted a key; otherwise (a public route,
        // or a key it refused) identify the caller here.
        var principal = slot.value
        if principal == nil, let header = request.headers["Authorization"],
            let token = AuthMiddleware.bearerToken(header)
        {
            principal = await keys.authenticate(token)
        }
        let draft = AuditDraft(
            tenant: principal?.tenant, actor: principal.map(AuditActor.key) ?? .anonymous,
            action: "\(request.method.rawValue) \(context.route)", target: request.path, requestID: context.requestID,
            source: context.remoteAddress, status: response.status.code,
            diff: AuditRedaction.diff(forBody: request.body))
        do {
            try await audit.append(draft)
        } catch {
            // The change has happened; failing the answer now would mislead the client.
            log("error: could not append the audit entry for \(draft.action) \(draft.target): \(error)")
        }
        return response
    }
}

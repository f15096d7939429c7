import BatonCore
import BatonHTTP
import BatonJSON

/// `/api/v1/session`: the dashboard's sign-in (SPEC §2.12). An API key pasted once becomes an
/// `HttpOnly`, `SameSite=Strict` cookie the browser sends by itself — to the event stream too,
/// which `EventSource` cannot give an `Authorization` header — and a CSRF token the page sends
/// back in `X-CSRF-Token` with every change.
enum SessionRoutes {
    static func register(on router: RouterBuilder, services: CoordinatorServices) {
        router.post("/api/v1/session") { request, context in
            let body = try JSONBody(request, allowed: ["key"])
            let key = try body.string("key")!
            guard key.utf8.count <= 256, let principal = await services.keys.authenticate(key) else {
                throw HTTPError.unauthorized("the API key is unknown or revoked")
            }
            guard principal.role != .worker else {
                throw HTTPError.forbidden(
                    "a worker key cannot sign in to the dashboard: use a viewer, operator or admin key")
            }
            let lifetime = services.config.reader.int("dashboard.session_ttl_s") * 1000
            let (token, session) = try await services.sessions.create(for: principal, lifetimeMs: lifetime)
            var headers = HTTPHeaders()
            headers.add("Set-Cookie", cookie(token, maxAge: lifetime / 1000, request, services))
            headers.add("Cache-Control", "no-store")
            return .json(.created, json(principal, session).text, headers: headers)
        }
        router.get("/api/v1/session") { _, context in
            let check = context.storage[KeyCheckKey.self]
            guard let principal = context.storage[PrincipalKey.self], let session = check?.session else {
                throw HTTPError.notFound("this request carries an API key, not a session")
            }
            return .json(.ok, json(principal, session).text, headers: ["Cache-Control": "no-store"])
        }
        router.delete("/api/v1/session") { request, context in
            // Signing out is a change: it carries the session's CSRF token, as the document says,
            // whatever else the request carries (SPEC §2.12).
            guard request.headers["X-CSRF-Token"] != nil else {
                throw HTTPError.badRequest("signing out needs the session's X-CSRF-Token header")
            }
            guard let token = context.storage[KeyCheckKey.self]?.sessionToken,
                context.storage[KeyCheckKey.self]?.session != nil
            else {
                throw HTTPError.notFound("this request carries an API key, not a session")
            }
            try await services.sessions.end(token)
            var headers = HTTPHeaders()
            headers.add("Set-Cookie", cookie("", maxAge: 0, request, services))
            return HTTPResponse(status: .noContent, headers: headers)
        }
    }

    static func json(_ principal: Principal, _ session: Session) -> JSONValue {
        [
            "key_id": .string(principal.keyID), "name": .string(principal.name),
            "role": .string(principal.role.rawValue),
            "tenant": .string(principal.tenant), "csrf_token": .string(session.csrfToken),
            "created_at": .string(session.createdAt),
            "expires_at": .string(Timestamp.format(milliseconds: session.expiresMs)),
        ]
    }

    /// The session cookie: the whole site, unreadable by scripts, never sent by another site's
    /// requests, and Secure behind TLS.
    static func cookie(_ token: String, maxAge: Int64, _ request: HTTPRequest, _ services: CoordinatorServices)
        -> String
    {
        var cookie = "\(KeyCheck.cookieName)=\(token); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict"
        let forwardedTLS = request.headers["X-Forwarded-Proto"]?.lowercased() == "https"
        if services.config.reader.bool("dashboard.secure_cookie") || forwardedTLS { cookie += "; Secure" }
        return cookie
    }
}

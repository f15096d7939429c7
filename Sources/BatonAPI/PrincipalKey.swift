import BatonCore
import BatonHTTP

/// Where the auth middleware leaves the authenticated key for handlers and later middleware.
public enum PrincipalKey: ContextKey {
    public typealias Value = Principal
}

/// How a request proves who it is: an API key, or a dashboard session standing for one.
public struct Credentials: Sendable {
    public let keys: KeyStore
    public let sessions: SessionStore

    public init(keys: KeyStore, sessions: SessionStore) {
        self.keys = keys
        self.sessions = sessions
    }
}

/// What the request's `Authorization` header (or, without one, its session cookie) proved,
/// checked once per request by the outermost middleware that needs it (`SourceLimitMiddleware`)
/// and read by audit and authentication, so a key is hashed once however many layers ask who is
/// calling.
struct KeyCheck: Sendable {
    /// The key's principal when the request presented a valid key or session; nil for none, a
    /// malformed header, or an unknown, expired or revoked key or session.
    var principal: Principal?
    /// Set when the principal came from a session cookie (SPEC §2.12): changes then need its
    /// CSRF token.
    var session: Session?
    /// The session cookie's token, when one was presented (valid or not).
    var sessionToken: String?
    /// What the `Authorization` header was, so authentication words its 401 without parsing
    /// the header again.
    var header: Header = .absent

    enum Header {
        case absent
        /// Not `Bearer <token>`.
        case malformed
        case bearer
    }

    /// The name of the dashboard's session cookie.
    static let cookieName = "baton_session"

    static func check(_ request: HTTPRequest, credentials: Credentials) async -> KeyCheck {
        if let header = request.headers["Authorization"] {
            guard let token = AuthMiddleware.bearerToken(header) else {
                return KeyCheck(principal: nil, header: .malformed)
            }
            return KeyCheck(principal: await credentials.keys.authenticate(token), header: .bearer)
        }
        guard let token = sessionCookie(request.headers) else { return KeyCheck(principal: nil) }
        guard let (principal, session) = await credentials.sessions.authenticate(token) else {
            return KeyCheck(principal: nil, sessionToken: token)
        }
        return KeyCheck(principal: principal, session: session, sessionToken: token)
    }

    /// `check` without suspending, or nil when it would have to (a session cookie, or keys due
    /// for their change look): the request then takes the middleware's async path.
    static func checkFromMemory(_ request: HTTPRequest, credentials: Credentials) -> KeyCheck? {
        if let header = request.headers["Authorization"] {
            guard let token = AuthMiddleware.bearerToken(header) else {
                return KeyCheck(principal: nil, header: .malformed)
            }
            return credentials.keys.authenticateFromMemory(token).map { KeyCheck(principal: $0, header: .bearer) }
        }
        return sessionCookie(request.headers) == nil ? KeyCheck(principal: nil) : nil
    }

    /// The check already made for this request, or one made now.
    static func of(_ request: HTTPRequest, _ context: RequestContext, credentials: Credentials) async -> KeyCheck {
        if let made = context.storage[KeyCheckKey.self] { return made }
        return await check(request, credentials: credentials)
    }

    /// `of` without suspending, or nil when it would have to.
    static func fromMemory(_ request: HTTPRequest, _ context: RequestContext, credentials: Credentials) -> KeyCheck? {
        context.storage[KeyCheckKey.self] ?? checkFromMemory(request, credentials: credentials)
    }

    /// `baton_session`'s value in the `Cookie` headers (RFC 6265 §5.4: `name=value` pairs
    /// separated by `; `); nil when absent or longer than any token Baton makes.
    static func sessionCookie(_ headers: HTTPHeaders) -> String? {
        for header in headers.values(for: "Cookie") where header.utf8.count <= 8192 {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard trimmed.hasPrefix(cookieName + "=") else { continue }
                let value = trimmed.dropFirst(cookieName.count + 1)
                // One planted elsewhere (a sibling domain, an oversized one) must not hide ours.
                guard value.utf8.count == 64 else { continue }
                return String(value)
            }
        }
        return nil
    }
}

enum KeyCheckKey: ContextKey {
    typealias Value = KeyCheck
}

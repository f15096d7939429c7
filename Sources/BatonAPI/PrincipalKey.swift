import BatonCore
import BatonHTTP

/// Where the auth middleware leaves the authenticated key for handlers and later middleware.
public enum PrincipalKey: ContextKey {
    public typealias Value = Principal
}

/// What the request's `Authorization` header proved, checked once per request by the outermost
/// middleware that needs it (`SourceLimitMiddleware`) and read by audit and authentication, so
/// a key is hashed once however many layers ask who is calling.
struct KeyCheck: Sendable {
    /// The key's principal when the request presented a valid key; nil for no key, a malformed
    /// header, or an unknown or revoked key.
    var principal: Principal?

    static func check(_ request: HTTPRequest, keys: KeyStore) async -> KeyCheck {
        guard let header = request.headers["Authorization"], let token = AuthMiddleware.bearerToken(header) else {
            return KeyCheck(principal: nil)
        }
        return KeyCheck(principal: await keys.authenticate(token))
    }

    /// The check already made for this request, or one made now.
    static func of(_ request: HTTPRequest, _ context: RequestContext, keys: KeyStore) async -> KeyCheck {
        if let made = context.storage[KeyCheckKey.self] { return made }
        return await check(request, keys: keys)
    }
}

enum KeyCheckKey: ContextKey {
    typealias Value = KeyCheck
}

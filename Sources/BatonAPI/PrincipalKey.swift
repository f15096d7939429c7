import BatonCore
import BatonHTTP

/// Where the auth middleware leaves the authenticated key for handlers and later middleware.
public enum PrincipalKey: ContextKey {
    public typealias Value = Principal
}

import BatonCore
import BatonHTTP
import Synchronization

/// Where the auth middleware leaves the authenticated key for handlers and later middleware.
public enum PrincipalKey: ContextKey {
    public typealias Value = Principal
}

/// Lets the audit middleware, which wraps authentication, learn the principal that the auth
/// middleware checked, instead of hashing the key a second time. Context values flow inward
/// only, so the outer middleware hands in a slot for the inner one to fill.
final class PrincipalSlot: Sendable {
    private let principal = Mutex<Principal?>(nil)
    var value: Principal? {
        get { principal.withLock { $0 } }
        set { principal.withLock { $0 = newValue } }
    }
}

enum PrincipalSlotKey: ContextKey {
    typealias Value = PrincipalSlot
}

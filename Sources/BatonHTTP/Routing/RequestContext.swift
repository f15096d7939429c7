/// What the router knows about a request beyond the request itself. A value: middleware changes
/// its own copy and hands it on, so nothing here is shared between requests.
public struct RequestContext: Sendable {
    /// Set by `RequestIDMiddleware`; empty before it runs.
    public var requestID: String
    /// Path parameters by name (`:id` → "id", `*` → "*"), percent-decoded.
    public var parameters: [String: String]
    /// The matched pattern, e.g. `/api/v1/:id`; `RequestContext.unmatchedRoute` for 404/405.
    /// Low cardinality by construction, so it is safe as a metrics label.
    public var route: String
    public var remoteAddress: String
    public var startedAt: ContinuousClock.Instant
    /// Typed values that later middleware attaches (an authenticated principal, say) without
    /// BatonHTTP knowing their types.
    public var storage: ContextStorage

    public static let unmatchedRoute = "<unmatched>"

    public init(
        requestID: String = "", parameters: [String: String] = [:], route: String = RequestContext.unmatchedRoute,
        remoteAddress: String = "", startedAt: ContinuousClock.Instant = .now,
        storage: ContextStorage = ContextStorage()
    ) {
        self.requestID = requestID
        self.parameters = parameters
        self.route = route
        self.remoteAddress = remoteAddress
        self.startedAt = startedAt
        self.storage = storage
    }

    /// The path parameter `name`; a route that declares it always has it.
    public func parameter(_ name: String) -> String? { parameters[name] }
}

/// A key for `ContextStorage`; its `Value` is the type stored under it.
public protocol ContextKey {
    associatedtype Value: Sendable
}

/// Values by key, as a chain of immutable entries, newest first: setting one adds an entry in
/// front, so a copy of the context (each middleware layer makes one) shares the chain instead of
/// copying a table, and reading walks the few entries a request has. The entry of a key holds
/// that key's `Value` type, so a read needs no dynamic cast (SPEC §2.1: this is per request).
public struct ContextStorage: Sendable {
    private var head: Entry?

    public init() {}

    public subscript<Key: ContextKey>(_ key: Key.Type) -> Key.Value? {
        get {
            let id = ObjectIdentifier(key)
            var entry = head
            while let current = entry {
                if current.key == id { return unsafeDowncast(current, to: Slot<Key.Value>.self).value }
                entry = current.next
            }
            return nil
        }
        set {
            // An earlier entry of the key is shadowed; nil is stored too, so it hides one.
            head = Slot(key: ObjectIdentifier(key), value: newValue, next: head)
        }
    }
}

/// One entry of `ContextStorage`; never changed after it is made.
private class Entry: @unchecked Sendable {
    let key: ObjectIdentifier
    let next: Entry?

    init(key: ObjectIdentifier, next: Entry?) {
        self.key = key
        self.next = next
    }
}

private final class Slot<Value: Sendable>: Entry, @unchecked Sendable {
    let value: Value?

    init(key: ObjectIdentifier, value: Value?, next: Entry?) {
        self.value = value
        super.init(key: key, next: next)
    }
}

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

public struct ContextStorage: Sendable {
    private var values: [ObjectIdentifier: any Sendable] = [:]

    public init() {}

    public subscript<Key: ContextKey>(_ key: Key.Type) -> Key.Value? {
        get { values[ObjectIdentifier(key)] as? Key.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }
}

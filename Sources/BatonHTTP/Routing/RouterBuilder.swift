/// Collects routes and middleware; `build()` turns them into an immutable `Router` with every
/// middleware chain composed once. Not thread-safe: build at start-up, then share the Router.
public final class RouterBuilder: RouteRegistrar {
    struct Registration {
        var method: HTTPMethod
        var pattern: String
        /// Group and route middleware, outermost first (global middleware is added at build).
        var middleware: [any HTTPMiddleware]
        var handler: MiddlewareChain.Handler
    }

    private(set) var registrations: [Registration] = []
    private(set) var globalMiddleware: [any HTTPMiddleware] = []
    let log: @Sendable (String) -> Void
    /// Called each time a middleware chain is composed; tests use it to show that happens at build
    /// time only, never per request.
    var chainComposed: (@Sendable () -> Void)?

    /// `log` receives a line for every unexpected (non-HTTP) error a handler throws.
    public init(log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.log = log
    }

    /// Adds middleware around every route and around 404/405/OPTIONS answers, outermost first.
    public func use(_ middleware: any HTTPMiddleware) {
        globalMiddleware.append(middleware)
    }

    public func on(
        _ method: HTTPMethod, _ pattern: String, middleware: [any HTTPMiddleware] = [], handler: @escaping HTTPHandler
    ) {
        register(method, pattern, middleware: middleware, handler: .async(handler))
    }

    public func on(
        _ method: HTTPMethod, _ pattern: String, middleware: [any HTTPMiddleware] = [],
        synchronous handler: @escaping HTTPSyncHandler
    ) {
        register(method, pattern, middleware: middleware, handler: .sync(handler))
    }

    public func on(
        _ method: HTTPMethod, _ pattern: String, middleware: [any HTTPMiddleware] = [],
        trying attempt: @escaping HTTPAttemptHandler, otherwise handler: @escaping HTTPHandler
    ) {
        register(method, pattern, middleware: middleware, handler: .attempt(attempt, otherwise: handler))
    }

    private func register(
        _ method: HTTPMethod, _ pattern: String, middleware: [any HTTPMiddleware], handler: MiddlewareChain.Handler
    ) {
        precondition(pattern.hasPrefix("/"), "route pattern must start with /: \(pattern)")
        registrations.append(Registration(method: method, pattern: pattern, middleware: middleware, handler: handler))
    }

    /// Routes under `prefix` that share `middleware` (inside the global middleware).
    public func group(_ prefix: String, middleware: [any HTTPMiddleware] = []) -> RouteGroup {
        RouteGroup(builder: self, prefix: prefix, middleware: middleware)
    }

    public func build() -> Router {
        Router(builder: self)
    }
}

/// Routes sharing a path prefix and middleware.
public struct RouteGroup: RouteRegistrar {
    let builder: RouterBuilder
    let prefix: String
    let middleware: [any HTTPMiddleware]

    public func on(
        _ method: HTTPMethod, _ pattern: String, middleware extra: [any HTTPMiddleware] = [],
        handler: @escaping HTTPHandler
    ) {
        builder.on(method, path(pattern), middleware: middleware + extra, handler: handler)
    }
    public func on(
        _ method: HTTPMethod, _ pattern: String, middleware extra: [any HTTPMiddleware] = [],
        synchronous handler: @escaping HTTPSyncHandler
    ) {
        builder.on(method, path(pattern), middleware: middleware + extra, synchronous: handler)
    }
    public func on(
        _ method: HTTPMethod, _ pattern: String, middleware extra: [any HTTPMiddleware] = [],
        trying attempt: @escaping HTTPAttemptHandler, otherwise handler: @escaping HTTPHandler
    ) {
        builder.on(method, path(pattern), middleware: middleware + extra, trying: attempt, otherwise: handler)
    }
    private func path(_ pattern: String) -> String { pattern == "/" ? prefix : prefix + pattern }
    public func group(_ sub: String, middleware extra: [any HTTPMiddleware] = []) -> RouteGroup {
        RouteGroup(builder: builder, prefix: prefix + sub, middleware: middleware + extra)
    }
}

/// Anything routes can be registered on; the verb shorthands come with it.
public protocol RouteRegistrar {
    func on(_ method: HTTPMethod, _ pattern: String, middleware: [any HTTPMiddleware], handler: @escaping HTTPHandler)
    /// A route whose handler never suspends (SPEC §2.1).
    func on(
        _ method: HTTPMethod, _ pattern: String, middleware: [any HTTPMiddleware],
        synchronous handler: @escaping HTTPSyncHandler)
    /// A route that answers synchronously when `attempt` can, else with `otherwise` (SPEC §2.1).
    func on(
        _ method: HTTPMethod, _ pattern: String, middleware: [any HTTPMiddleware],
        trying attempt: @escaping HTTPAttemptHandler, otherwise handler: @escaping HTTPHandler)
}

extension RouteRegistrar {
    public func get(_ pattern: String, middleware: [any HTTPMiddleware] = [], handler: @escaping HTTPHandler) {
        on(.get, pattern, middleware: middleware, handler: handler)
    }
    public func get(
        _ pattern: String, middleware: [any HTTPMiddleware] = [], synchronous handler: @escaping HTTPSyncHandler
    ) {
        on(.get, pattern, middleware: middleware, synchronous: handler)
    }
    public func get(
        _ pattern: String, middleware: [any HTTPMiddleware] = [], trying attempt: @escaping HTTPAttemptHandler,
        otherwise handler: @escaping HTTPHandler
    ) {
        on(.get, pattern, middleware: middleware, trying: attempt, otherwise: handler)
    }
    public func post(_ pattern: String, middleware: [any HTTPMiddleware] = [], handler: @escaping HTTPHandler) {
        on(.post, pattern, middleware: middleware, handler: handler)
    }
    public func put(_ pattern: String, middleware: [any HTTPMiddleware] = [], handler: @escaping HTTPHandler) {
        on(.put, pattern, middleware: middleware, handler: handler)
    }
    public func patch(_ pattern: String, middleware: [any HTTPMiddleware] = [], handler: @escaping HTTPHandler) {
        on(.patch, pattern, middleware: middleware, handler: handler)
    }
    public func delete(_ pattern: String, middleware: [any HTTPMiddleware] = [], handler: @escaping HTTPHandler) {
        on(.delete, pattern, middleware: middleware, handler: handler)
    }
}

/// The built router: an immutable trie of composed handler chains. It is the server's responder.
public struct Router: HTTPResponder {
    struct Route: Sendable {
        var chain: MiddlewareChain
    }

    private let trie: RouteTrie<Route>
    /// Global middleware around a terminal that answers the routing outcome kept in the context
    /// (404, 405 or an OPTIONS 204), so those answers get request ids, access logs and metrics too.
    private let fallback: MiddlewareChain
    /// `Allow` for `OPTIONS *`: every method some route accepts.
    private let allowAny: String

    /// Every registered operation in OpenAPI path form (`/api/v1/{id}`), in registration order.
    public let operations: [(method: HTTPMethod, path: String)]

    init(builder: RouterBuilder) {
        let log = builder.log
        let global = builder.globalMiddleware
        let composed = builder.chainComposed
        var trie = RouteTrie<Route>()
        var operations: [(HTTPMethod, String)] = []
        for registration in builder.registrations {
            composed?()
            let route = RouteTrie<Route>.canonical(RouteTrie<Route>.segments(of: registration.pattern))
            let middleware = (global + registration.middleware).map {
                $0.forRoute(method: registration.method, route: route)
            }
            let chain = MiddlewareChain(middleware, around: registration.handler, log: log)
            let inserted = trie.insert(
                pattern: registration.pattern, key: registration.method.rawValue,
                value: Route(chain: chain))
            precondition(inserted, "route registered twice: \(registration.method) \(registration.pattern)")
            operations.append((registration.method, Router.openAPIPath(registration.pattern)))
        }
        self.trie = trie
        self.operations = operations
        self.allowAny = Router.allowed(builder.registrations.map(\.method.rawValue)).joined(separator: ", ")
        composed?()
        self.fallback = MiddlewareChain(
            global,
            around: .sync({ _, context in
                switch context.storage[RoutingOutcomeKey.self] {
                case .options(let allow): HTTPResponse(status: .noContent, headers: ["Allow": allow])
                case .error(let error): throw error
                case nil: throw HTTPError.internalError
                }
            }),
            log: log)
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        await respondImmediately(to: request).response()
    }

    public func respondImmediately(to request: HTTPRequest) -> HTTPAnswer {
        let (chain, context) = route(request)
        return chain.answer(request, context)
    }

    /// The answer through the chains' async form only, layer by layer in a task as before there
    /// were steps: tests show both ways answer alike.
    func respondAsynchronously(to request: HTTPRequest) async -> HTTPResponse {
        let (chain, context) = route(request)
        return await chain.answerAsynchronously(request, context)
    }

    /// The chain for `request` and the context it starts with (the routing outcome for the
    /// fallback chain, else the matched pattern and parameters).
    private func route(_ request: HTTPRequest) -> (MiddlewareChain, RequestContext) {
        var context = RequestContext(remoteAddress: request.remoteAddress)
        if request.method == .options && request.path == "*" {
            // RFC 9110 §9.3.7: OPTIONS * asks about the server as a whole.
            context.storage[RoutingOutcomeKey.self] = .options(allow: allowAny)
            return (fallback, context)
        }
        guard let match = trie.match(path: request.path) else {
            context.storage[RoutingOutcomeKey.self] = .error(
                .notFound("no route for \(request.method.rawValue) \(request.path)"))
            return (fallback, context)
        }
        let route = match.values[request.method.rawValue] ?? (request.method == .head ? match.values["GET"] : nil)
        guard let route else {
            let allow = Router.allowed(match.values.keys)
            if request.method == .options {
                context.storage[RoutingOutcomeKey.self] = .options(allow: allow.joined(separator: ", "))
            } else {
                context.storage[RoutingOutcomeKey.self] = .error(
                    .methodNotAllowed(request.method, path: request.path, allow: allow))
            }
            return (fallback, context)
        }
        // The trie's canonical spelling, so "/api//x" and "/api/x" are one metrics label.
        context.route = match.pattern
        context.parameters = match.parameters
        return (route.chain, context)
    }

    /// Sorted, with HEAD wherever GET is and OPTIONS always (the router answers it itself).
    static func allowed(_ methods: some Sequence<String>) -> [String] {
        var allow = Set(methods)
        if allow.contains("GET") { allow.insert("HEAD") }
        allow.insert("OPTIONS")
        return allow.sorted()
    }

    static func openAPIPath(_ pattern: String) -> String {
        "/"
            + RouteTrie<Route>.segments(of: pattern).map { segment in
                switch segment {
                case .literal(let text): text
                case .param(let name): "{\(name)}"
                case .wildcard(let name): "{\(name == "*" ? "path" : name)}"
                }
            }.joined(separator: "/")
    }
}

/// What the router decided when no route handler runs; read by the fallback chain's terminal.
enum RoutingOutcome: Sendable {
    case error(HTTPError)
    case options(allow: String)
}

enum RoutingOutcomeKey: ContextKey {
    typealias Value = RoutingOutcome
}

import BatonCore
import BatonHTTP

/// Which role each operation needs. Public routes need no key; everything else needs at least a
/// viewer key to read and an operator key to change, unless listed here with a stricter role.
/// Unknown paths (404/405) need a key too, so probing without one learns nothing about routes.
public struct AccessPolicy: Sendable {
    public enum Requirement: Sendable, Equatable {
        case none
        /// A key whose role satisfies at least one of these.
        case anyOf([Role])

        public static func role(_ role: Role) -> Requirement { .anyOf([role]) }

        public func admits(_ role: Role) -> Bool {
            switch self {
            case .none: true
            case .anyOf(let roles): roles.contains { role.satisfies($0) }
            }
        }
    }

    /// The dashboard's page, script and styles are public too: they carry no data (DashboardRoutes).
    public static let publicRoutes: Set<String> = [
        "/health", "/api/v1/openapi.json", "/api/docs", "/webhooks/linear", "/", "/ui/app.js", "/ui/app.css",
    ]

    /// Routes open to anyone by method: signing in takes the key in its body.
    public static let publicOperations: Set<String> = ["POST /api/v1/session"]

    /// A method on a route pattern: what the "METHOD /pattern" strings below name, as a key that
    /// a request can look up without building a string (this runs on every request).
    struct Operation: Hashable, Sendable {
        let method: HTTPMethod
        let route: String

        /// "METHOD /pattern" split at its first space.
        init(_ text: String) {
            let space = text.firstIndex(of: " ") ?? text.endIndex
            method = HTTPMethod(String(text[..<space]))
            route = space == text.endIndex ? "" : String(text[text.index(after: space)...])
        }

        init(method: HTTPMethod, route: String) {
            self.method = method
            self.route = route
        }
    }

    static let publicOperationKeys = Set(publicOperations.map(Operation.init))

    /// Whether `method` on `route` is open to anyone (`publicOperations`).
    static func isPublicOperation(method: HTTPMethod, route: String) -> Bool {
        publicOperationKeys.contains(Operation(method: method, route: route))
    }

    /// Stricter (or looser) requirements by "METHOD /pattern".
    private let overrides: [Operation: Requirement]
    /// Read per request, so `server.public_metrics` changes through the overlay apply at once.
    private let publicMetrics: @Sendable () -> Bool
    /// The tenant whose keys may use `instanceOperations`.
    public let systemTenant: String
    private let instanceOperations: Set<Operation>

    public init(
        overrides: [String: Requirement] = AccessPolicy.defaultOverrides,
        systemTenant: String = "default",
        instanceOperations: Set<String> = AccessPolicy.defaultInstanceOperations,
        publicMetrics: @escaping @Sendable () -> Bool = { false }
    ) {
        self.overrides = Dictionary(overrides.map { (Operation($0.key), $0.value) }) { first, _ in first }
        self.systemTenant = systemTenant
        self.instanceOperations = Set(instanceOperations.map(Operation.init))
        self.publicMetrics = publicMetrics
    }

    /// Operations on the instance as a whole rather than on a tenant's own objects: besides the
    /// role, they need a key of the system tenant. Configuration is one document for every tenant
    /// (providers, hooks, repositories, limits), so another tenant's admin changing it would act
    /// on the system tenant's jobs and secrets; metrics count every tenant's work; a refresh
    /// polls the instance's tracker with the instance's credentials.
    public static let defaultInstanceOperations: Set<String> = [
        "PUT /api/v1/config/overlay",
        "DELETE /api/v1/config/overlay/:path",
        "GET /metrics",
        "POST /api/v1/refresh",
        "GET /api/v1/audit/verify",
        "GET /api/cost/tenants",
    ]

    /// Whether the operation needs a key of the system tenant (checked after the role). HEAD is
    /// looked up as GET, as in `requirement`: it runs the GET route's handler.
    public func isInstanceOperation(method: HTTPMethod, route: String) -> Bool {
        instanceOperations.contains(Operation(method: method == .head ? .get : method, route: route))
    }

    /// Worker routes take a worker key (acting for its own instance) or an admin key (any
    /// instance); a worker key may also read its own jobs, and nothing else.
    public static let defaultOverrides: [String: Requirement] = [
        "GET /api/v1/keys": .role(.admin),
        "GET /api/v1/audit/verify": .role(.admin),
        "POST /api/v1/keys": .role(.admin),
        "DELETE /api/v1/keys/:id": .role(.admin),
        "PUT /api/v1/config/overlay": .role(.admin),
        "DELETE /api/v1/config/overlay/:path": .role(.admin),
        "PUT /presence": .role(.worker),
        "POST /api/workers/:id/lease": .role(.worker),
        "POST /api/jobs/:id/events": .role(.worker),
        "POST /api/jobs/:id/complete": .role(.worker),
        "GET /api/jobs/:id": .anyOf([.viewer, .worker]),
        // Signing out is open to every role that can sign in.
        "DELETE /api/v1/session": .role(.viewer),
    ]

    /// `requirement` of every request of `method` on `route`, worked out ahead (when the router
    /// is built); nil when it depends on a setting read per request (`server.public_metrics`).
    public func fixedRequirement(method: HTTPMethod, route: String) -> Requirement? {
        route == "/metrics" ? nil : requirement(method: method, route: route)
    }

    /// HEAD is GET without the body (RFC 9110 §9.3.2), and the router answers it with the GET
    /// route's handler, so it takes GET's rule: looked up as GET, never listed on its own.
    public func requirement(method: HTTPMethod, route: String) -> Requirement {
        let method: HTTPMethod = method == .head ? .get : method
        if AccessPolicy.publicRoutes.contains(route) { return .none }
        if AccessPolicy.isPublicOperation(method: method, route: route) { return .none }
        if route == "/metrics" && publicMetrics() { return .none }
        if let requirement = overrides[Operation(method: method, route: route)] { return requirement }
        switch method {
        case .get, .options: return .role(.viewer)
        default: return .role(.operator)
        }
    }
}

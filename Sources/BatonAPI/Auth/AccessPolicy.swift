import BatonCore
import BatonHTTP

/// Which role each operation needs. Public routes need no key; everything else needs at least a
/// viewer key to read and an operator key to change, unless listed here with a stricter role.
/// Unknown paths (404/405) need a key too, so probing without one learns nothing about routes.
public struct AccessPolicy: Sendable {
    public enum Requirement: Sendable, Equatable {
        case none
        case role(Role)
    }

    public static let publicRoutes: Set<String> = ["/health", "/api/v1/openapi.json", "/api/docs", "/webhooks/linear"]

    /// Stricter (or looser) requirements by "METHOD /pattern".
    private let overrides: [String: Role]
    /// Read per request, so `server.public_metrics` changes through the overlay apply at once.
    private let publicMetrics: @Sendable () -> Bool

    public init(
        overrides: [String: Role] = AccessPolicy.defaultOverrides,
        publicMetrics: @escaping @Sendable () -> Bool = { false }
    ) {
        self.overrides = overrides
        self.publicMetrics = publicMetrics
    }

    public static let defaultOverrides: [String: Role] = [
        "GET /api/v1/keys": .admin,
        "POST /api/v1/keys": .admin,
        "DELETE /api/v1/keys/:id": .admin,
        "PUT /api/v1/config/overlay": .admin,
        "DELETE /api/v1/config/overlay/:path": .admin,
    ]

    public func requirement(method: HTTPMethod, route: String) -> Requirement {
        if AccessPolicy.publicRoutes.contains(route) { return .none }
        if route == "/metrics" && publicMetrics() { return .none }
        if let role = overrides["\(method.rawValue) \(route)"] { return .role(role) }
        switch method {
        case .get, .head, .options: return .role(.viewer)
        default: return .role(.operator)
        }
    }
}

import BatonCore
import BatonHTTP
import Testing

@testable import BatonAPI

@Suite struct AuthMiddlewareTests {
    @Test func missingKeyIs401WithAChallenge() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(.get, "/metrics", anonymous: true)
        #expect(response.status == .unauthorized)
        #expect(response.headers["WWW-Authenticate"] == "Bearer")
        #expect(response.bodyText.contains(#""code":"unauthorized""#))
    }

    @Test func bearerTokenParsing() {
        #expect(AuthMiddleware.bearerToken("Bearer abc") == "abc")
        #expect(AuthMiddleware.bearerToken("bEaReR abc") == "abc")
        #expect(AuthMiddleware.bearerToken("  Bearer   abc  ") == "abc")
        #expect(AuthMiddleware.bearerToken("Bearerabc") == nil)
        #expect(AuthMiddleware.bearerToken("Bearer") == nil)
        #expect(AuthMiddleware.bearerToken("Bearer ") == nil)
        #expect(AuthMiddleware.bearerToken("Bearer a b") == nil)
        #expect(AuthMiddleware.bearerToken("Basic abc") == nil)
        #expect(AuthMiddleware.bearerToken("Bearér abc") == nil)
        #expect(AuthMiddleware.bearerToken("Bearer " + String(repeating: "x", count: 300)) == nil)
    }

    @Test(arguments: [
        "Bearer", "Basic dXNlcjpwYXNz", "Bearer bt_bad", "bearer  ", "Bearer a b",
        "Bearer bt_abcdefgh_" + String(repeating: "A", count: 39),
        "Bearer " + String(repeating: "x", count: 10_000),
    ])
    func malformedAuthorizationIs401(header: String) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let before = try c.keyRows()
        let response = await c.request(.get, "/api/v1/keys", headers: ["Authorization": header])
        #expect(response.status == .unauthorized)
        #expect(try c.keyRows() == before)
    }

    @Test func unknownAndRevokedKeysAre401() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let forged = APIKeyToken.generate().text
        #expect(await c.request(.get, "/metrics", key: forged).status == .unauthorized)
        // Right id, wrong secret.
        let real = try #require(APIKeyToken(parsing: c.adminKey))
        let wrongSecret = "bt_\(real.id)_" + String(repeating: "Z", count: APIKeyToken.secretLength)
        #expect(await c.request(.get, "/metrics", key: wrongSecret).status == .unauthorized)
        let viewer = try c.makeKey(.viewer)
        #expect(await c.request(.get, "/metrics", key: viewer).status == .ok)
        try await c.keys.revoke(id: APIKeyToken(parsing: viewer)!.id, tenant: nil)
        #expect(await c.request(.get, "/metrics", key: viewer).status == .unauthorized)
    }

    @Test func schemeIsCaseInsensitive() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(.get, "/metrics", headers: ["Authorization": "bearer \(c.adminKey)"])
        #expect(response.status == .ok)
    }

    @Test func publicRoutesNeedNoKeyAndUnknownPathsDoNotLeak() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        #expect(await c.request(.get, "/health", anonymous: true).status == .ok)
        #expect(await c.request(.get, "/api/v1/openapi.json", anonymous: true).status == .ok)
        // Without a key an unknown path looks like any protected one.
        #expect(await c.request(.get, "/api/v1/nothing-here", anonymous: true).status == .unauthorized)
        #expect(await c.request(.get, "/api/v1/nothing-here").status == .notFound)
    }

    @Test func publicMetricsOpensOnlyMetrics() async throws {
        let c = try await TestCoordinator.make(publicMetrics: true)
        defer { c.close() }
        #expect(await c.request(.get, "/metrics", anonymous: true).status == .ok)
        #expect(await c.request(.get, "/api/v1/keys", anonymous: true).status == .unauthorized)
    }

    /// Every route × every role: public routes answer without a key; the others answer 401 without
    /// one and 403 to a role below the policy's, and never 401/403 to a sufficient role.
    @Test func roleMatrixRouteByRoute() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let policy = AccessPolicy()
        var keys: [Role: String] = [:]
        for role in Role.allCases { keys[role] = try c.makeKey(role, name: "matrix-\(role.rawValue)") }
        let before = try c.keyRows()
        for op in c.router.operations {
            let target = op.path.replacingBraces(with: "zzzzzzzz")
            let pattern = op.path.replacingBraces(with: nil)
            let requirement = policy.requirement(method: op.method, route: pattern)
            let anonymous = await c.request(op.method, target, anonymous: true)
            switch requirement {
            case .none:
                #expect(anonymous.status.code != 401 && anonymous.status.code != 403, "\(op.method) \(op.path)")
            case .anyOf:
                #expect(anonymous.status == .unauthorized, "\(op.method) \(op.path) without a key")
                for role in Role.allCases {
                    let status = await c.request(op.method, target, key: keys[role]).status.code
                    if requirement.admits(role) {
                        #expect(status != 401 && status != 403, "\(op.method) \(op.path) as \(role): \(status)")
                    } else {
                        #expect(status == 403, "\(op.method) \(op.path) as \(role): \(status)")
                    }
                }
            }
        }
        // The probes were refused or were reads: no key was made or revoked.
        #expect(try c.keyRows() == before)
    }
}

extension AuthMiddlewareTests {
    /// HEAD runs the GET route's handler, so it must pass the same gate: for every GET route and
    /// every role (and no key), HEAD gets GET's status class, and exactly 401/403 where GET does.
    /// Before the policy looked HEAD up as GET, a viewer's HEAD /api/v1/keys was 200.
    @Test func headFollowsGetsRuleOnEveryRoute() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        var keys: [Role: String] = [:]
        for role in Role.allCases { keys[role] = try c.makeKey(role, name: "head-\(role.rawValue)") }
        let before = try c.keyRows()
        var probed = 0
        for op in c.router.operations where op.method == .get {
            let target = op.path.replacingBraces(with: "zzzzzzzz")
            for role in [nil] + Role.allCases.map(Optional.some) {
                let key = role.flatMap { keys[$0] }
                let get = await c.request(.get, target, key: key, anonymous: role == nil).status.code
                let head = await c.request(.head, target, key: key, anonymous: role == nil).status.code
                let label = "\(op.path) as \(role?.rawValue ?? "anonymous"): GET \(get), HEAD \(head)"
                #expect(get / 100 == head / 100, "\(label)")
                #expect((get == 401) == (head == 401) && (get == 403) == (head == 403), "\(label)")
                probed += 1
            }
        }
        #expect(probed > 20)
        // The reproduction: a viewer is refused the key list whichever of the two it asks with.
        let viewer = try #require(keys[.viewer])
        #expect(await c.request(.get, "/api/v1/keys", key: viewer).status == .forbidden)
        #expect(await c.request(.head, "/api/v1/keys", key: viewer).status == .forbidden)
        #expect(AccessPolicy().requirement(method: .head, route: "/api/v1/keys") == .role(.admin))
        #expect(try c.keyRows() == before)
    }

    /// Instance-wide operations need a key of the system tenant whichever of GET and HEAD asks.
    /// Before, HEAD was looked up on its own in the list of those operations, found nothing, and
    /// another tenant's admin got 200 (the handler ran: the audit chain walked, every tenant's
    /// costs summed, the body's size in Content-Length).
    @Test func headOfAnInstanceOperationNeedsASystemTenantKey() async throws {
        #expect(AccessPolicy().isInstanceOperation(method: .head, route: "/metrics"))
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let admin = try c.makeKey(.admin, tenant: "acme", name: "acme-admin")
        let before = try c.keyRows()
        for target in ["/metrics", "/api/cost/tenants", "/api/v1/audit/verify"] {
            let get = await c.request(.get, target, key: admin).status
            let head = await c.request(.head, target, key: admin).status
            #expect(get == .forbidden, "GET \(target)")
            #expect(head == .forbidden, "HEAD \(target)")
        }
        #expect(try c.keyRows() == before)
    }
}

extension String {
    /// `/a/{id}` → `/a/zzzzzzzz` (a concrete path), or → `/a/:id` (the router's pattern) when nil.
    fileprivate func replacingBraces(with value: String?) -> String {
        split(separator: "/", omittingEmptySubsequences: false).map { part in
            guard part.hasPrefix("{"), part.hasSuffix("}") else { return String(part) }
            return value ?? ":" + part.dropFirst().dropLast()
        }.joined(separator: "/")
    }
}

import BatonHTTP
import Synchronization
import Testing

@testable import BatonAPI

/// What a route needs is worked out once per route when the router is built
/// (`fixedRequirement`), except where it follows a setting read per request.
@Suite struct AccessPolicyTests {
    @Test func fixedRequirementsAreThePerRequestOnesExceptForMetrics() async throws {
        let open = Atomic<Bool>(false)
        let policy = AccessPolicy(publicMetrics: { open.load(ordering: .relaxed) })
        let c = try await TestCoordinator.make()
        defer { c.close() }
        var checked = 0
        for op in c.router.operations {
            // `/api/jobs/{id}` as a pattern: `/api/jobs/:id`.
            let route = op.path.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix("{") ? ":" + part.dropFirst().dropLast() : String(part)
            }.joined(separator: "/")
            guard route != "/metrics" else { continue }
            for method in [op.method, .head, .options] {
                #expect(
                    policy.fixedRequirement(method: method, route: route)
                        == policy.requirement(method: method, route: route), "\(method) \(route)")
                checked += 1
            }
        }
        #expect(checked > 100)
        // `/metrics` is public or not as `server.public_metrics` says at the time.
        #expect(policy.fixedRequirement(method: .get, route: "/metrics") == nil)
        #expect(policy.requirement(method: .get, route: "/metrics") == .role(.viewer))
        open.store(true, ordering: .relaxed)
        #expect(policy.requirement(method: .get, route: "/metrics") == AccessPolicy.Requirement.none)
    }
}

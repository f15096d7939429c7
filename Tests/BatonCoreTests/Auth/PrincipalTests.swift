import Testing

@testable import BatonCore

@Suite struct RoleTests {
    @Test func rolesNestAndWorkerStandsApart() {
        let expected: [Role: Set<Role>] = [
            .admin: [.admin, .operator, .viewer, .worker],
            .operator: [.operator, .viewer],
            .viewer: [.viewer],
            .worker: [.worker],
        ]
        for role in Role.allCases {
            let allowed = Set(Role.allCases.filter { role.satisfies($0) })
            #expect(allowed == expected[role], "\(role)")
        }
    }
}

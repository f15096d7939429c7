import BatonCoreFixtures
import BatonWorkerProtocol
import Testing

@testable import BatonCore
@testable import BatonJobs

/// The dispatcher's memory: the stickiness map (each issue's last worker) stays within
/// `router.sticky_issues` per tenant, as jobs finish and when it is rebuilt from the database.
@Suite struct DispatchStateTests {
    static let tenant = "default"

    @Test func theLastWorkerByIssueKeepsOnlyTheNewestIssues() async throws {
        try await CoreFixture.with { fixture in
            let settings = DispatchSettings(config: ["router": ["sticky_issues": 3]])
            let core = try await fixture.open(dispatch: settings)
            _ = try await core.dispatcher.presence(
                PresenceReport(instance: "w1", provider: "dry-run"), tenant: Self.tenant)
            for n in 1...5 {
                let job = try await core.dispatcher.create(
                    JobSpec(prompt: "issue \(n)", provider: "dry-run", issue: "ENG-\(n)"), tenant: Self.tenant)
                let lease = try #require(
                    try await core.dispatcher.lease(worker: "w1", tenant: Self.tenant, wait: .zero))
                #expect(lease.job.id == job.id)
                _ = try await core.dispatcher.complete(
                    job.id, tenant: Self.tenant, worker: "w1", .init(token: lease.token, result: "done"))
            }
            let remembered = core.dispatcher.state.withLock { state in
                let board = state.tenants[Self.tenant]?.lastWorkerByIssue
                return (board?.count, (1...5).map { board?["ENG-\($0)"] })
            }
            #expect(remembered.0 == 3)
            #expect(remembered.1 == [nil, nil, "w1", "w1", "w1"])

            // Rebuilt from the database (at start, or after a failed write): the newest within the bound.
            let reloaded = try core.database.readBlocking { conn in
                try DispatchState.load(
                    from: conn, now: fixture.clock.now,
                    settings: DispatchSettings(config: ["router": ["sticky_issues": 2]]))
            }
            let board = try #require(reloaded.tenants[Self.tenant])
            #expect(board.lastWorkerByIssue.count == 2)
            #expect(board.lastWorkerByIssue["ENG-4"] == "w1" && board.lastWorkerByIssue["ENG-5"] == "w1")
            #expect(board.lastWorkerByIssue["ENG-3"] == nil)
        }
    }
}

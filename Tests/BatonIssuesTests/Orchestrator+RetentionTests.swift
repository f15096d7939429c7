import BatonCoreFixtures
import BatonStore
import Testing

@testable import BatonIssues

@Suite struct OrchestratorRetentionTests {
    /// Retention asks of each released issue whether a job of it is unfinished: a seek by
    /// (tenant, issue) in the index of issues' unfinished jobs, never a walk of the tenant's jobs
    /// (which held the writer a second a batch once the table had some thousands).
    @Test func forgettingReleasedIssuesSeeksEachIssuesRows() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let plan = try core.database.readBlocking { conn in
                try conn.query(
                    "EXPLAIN QUERY PLAN " + Orchestrator.releasedIssuesToForget,
                    [.text("2026-01-01T00:00:00.000Z"), .integer(100)]
                ).compactMap { $0.string("detail") }
            }
            #expect(plan.contains("SEARCH jobs USING INDEX jobs_unfinished_by_issue (tenant=? AND issue=?)"), "\(plan)")
            #expect(plan.allSatisfy { !$0.hasPrefix("SCAN") }, "\(plan)")
            #expect(
                plan.filter { $0.hasPrefix("SEARCH") }.allSatisfy {
                    $0.contains("issue=?") || $0.contains("updated_at")
                })
        }
    }
}

import BatonCore
import BatonCoreFixtures
import BatonStore
import Testing

@testable import BatonJobs

@Suite struct DispatcherWorkspacesTests {
    /// Whether a workspace is in use is two seeks (the unfinished jobs, the ad-hoc job by
    /// id), not a walk of every job of the tenant on the writer.
    @Test func theInUseQuestionSeeks() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let plan = try core.database.readBlocking { conn in
                try conn.query(
                    "EXPLAIN QUERY PLAN " + Dispatcher.unfinishedJobsOfWorkspace,
                    [.text("default"), .text("job-7"), .integer(7)]
                ).compactMap { $0.string("detail") }
            }
            let searches = plan.filter { $0.hasPrefix("SEARCH jobs") }
            #expect(
                searches == [
                    "SEARCH jobs USING INDEX jobs_unfinished_by_issue (tenant=? AND issue=?)",
                    "SEARCH jobs USING INTEGER PRIMARY KEY (rowid=?)",
                ], "\(plan)")
        }
    }
}

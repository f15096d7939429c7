import BatonCore
import BatonHTTP
import BatonJSON
import BatonTestSupport
import Testing

@testable import BatonLinear

/// The tracker over the GraphQL client against the loopback Linear: candidates, the viewer, write-back.
@Suite struct LinearTrackerTests {
    static let issues = (1...5).map { n in
        FakeLinear.Issue(
            id: "uuid-\(n)", identifier: "ENG-\(n)", title: "Issue \(n)", state: n == 5 ? "Backlog" : "Todo",
            priority: n % 4, labels: n == 1 ? ["bug"] : [])
    }

    @Test func candidatesArePagedAndFiltered() async throws {
        let linear = FakeLinear(
            Self.issues + [FakeLinear.Issue(id: "uuid-x", identifier: "OPS-1", title: "x", state: "Todo")])
        let url = try linear.start()
        defer { Task { await linear.stop() } }
        let tracker = LinearTracker(
            client: LinearClientTests.client(url), filter: .init(teamKey: "ENG", activeStates: ["Todo"], pageSize: 2))
        let found = try await tracker.candidates()
        #expect(found.map(\.identifier) == ["ENG-1", "ENG-2", "ENG-3", "ENG-4"])
        #expect(found[0].labels == ["bug"] && found[0].trackerID == "uuid-1" && found[0].state == "Todo")
        #expect(found[0].url == "https://linear.app/acme/issue/ENG-1")
        // Two full pages and a last one, each with the filter Baton built.
        let pages = linear.recorded.filter { $0.operation == "BatonIssues" }
        #expect(pages.count == 2)
        #expect(pages.map { $0.variables["after"] } == [.null, "2"])
        #expect(pages[0].variables["filter"]?["team"]?["key"]?["eq"] == "ENG")
        #expect(pages[0].variables["filter"]?["state"]?["name"]?["in"] == ["Todo"])
        let refreshed = try await tracker.refresh(ids: ["uuid-5", "uuid-gone"])
        #expect(refreshed.map(\.identifier) == ["ENG-5"] && refreshed[0].state == "Backlog")
    }

    @Test func viewerSaysWhoTheKeyActsFor() async throws {
        let linear = FakeLinear()
        let url = try linear.start()
        defer { Task { await linear.stop() } }
        let viewer = try await LinearTracker(client: LinearClientTests.client(url), filter: .init()).viewer()
        #expect(viewer.id == "baton-app-user" && viewer.name == "Baton Bot")
    }

    @Test func writeBackCommentsAndMovesByStateName() async throws {
        let linear = FakeLinear(Self.issues)
        let url = try linear.start()
        defer { Task { await linear.stop() } }
        let tracker = LinearTracker(client: LinearClientTests.client(url), filter: .init())
        try await tracker.comment(issueID: "uuid-2", body: "Baton: done")
        #expect(linear.comments.map(\.body) == ["Baton: done"] && linear.comments[0].issueID == "uuid-2")
        try await tracker.move(issueID: "uuid-2", toState: "in review")
        try await tracker.move(issueID: "uuid-3", toState: "In Progress")
        #expect(linear.issues[1].state == "In Review" && linear.issues[2].state == "In Progress")
        // The team's workflow states were fetched once.
        #expect(linear.recorded.filter { $0.operation == "BatonTeamStates" }.count == 1)
        await #expect(throws: LinearError.graphQL(["the team has no workflow state named \"Shipped\""])) {
            try await tracker.move(issueID: "uuid-2", toState: "Shipped")
        }
        await #expect(throws: LinearError.graphQL(["Entity not found: Issue"])) {
            try await tracker.move(issueID: "uuid-none", toState: "Done")
        }
    }

    /// A priority no Int64 holds (`1e19`) is skipped (none) and logged, not converted: a trapping
    /// `Int64(_:)` would end this test process and fail the suite.
    @Test func aPriorityOutOfRangeIsSkippedAndLogged() throws {
        for given: JSONValue in [.double(1e19), .double(-1e19), .double(1e300), .int(Int64.min), .int(7)] {
            var lines: [String] = []
            let node: JSONValue = ["identifier": "ENG-9", "state": ["name": "Todo"], "priority": given]
            let issue = try LinearTracker.issue(node, log: { lines.append($0) })
            #expect(issue.priority == 0 && issue.identifier == "ENG-9")
            #expect(lines.count == 1 && lines.first?.contains("ENG-9: priority") == true, "\(lines)")
        }
        var lines: [String] = []
        let node: JSONValue = ["identifier": "ENG-9", "state": ["name": "Todo"], "priority": 3.0]
        #expect(try LinearTracker.issue(node, log: { lines.append($0) }).priority == 3 && lines.isEmpty)
    }
}

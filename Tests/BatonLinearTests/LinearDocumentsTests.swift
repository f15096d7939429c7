import BatonIssues
import BatonJSON
import BatonTestSupport
import Testing

@testable import BatonLinear

/// Every GraphQL document Baton sends, with the variables it sends, validated against Linear's
/// published schema (Vendor/linear/schema.graphql) by graphql-core (SPEC §9.13, §9.15).
@Suite struct LinearDocumentsTests {
    /// Runs every operation Baton has against the loopback Linear and returns what went over the wire.
    static func everythingBatonSends() async throws -> [FakeLinear.Recorded] {
        let linear = FakeLinear([FakeLinear.Issue(id: "uuid-1", identifier: "ENG-1", title: "One", state: "Todo")])
        let url = try linear.start()
        defer { Task { await linear.stop() } }
        let client = LinearClientTests.client(url)
        let tracker = LinearTracker(
            client: client,
            filter: .init(teamKey: "ENG", projectSlug: "web-1", assignee: "bot@example.com", activeStates: ["Todo"]))
        _ = try await tracker.candidates()
        _ = try await tracker.refresh(ids: ["uuid-1"])
        _ = try await tracker.viewer()
        try await tracker.comment(issueID: "uuid-1", body: "Baton: attempt 1 completed.")
        try await tracker.move(issueID: "uuid-1", toState: "In Progress")
        let channel = LinearAgentChannel(client: client)
        let contents: [AgentActivityContent] = [
            .thought("Looking at ENG-1"), .action(action: "Ran", parameter: "swift test", result: "ok"),
            .action(action: "Read", parameter: "README.md", result: nil), .elicitation("Which branch?"),
            .response("Done"), .error("It failed"),
        ]
        for (n, content) in contents.enumerated() {
            try await channel.createActivity(
                id: AgentActivityID.make(), sessionID: "session-1", content: content, ephemeral: n == 0)
        }
        _ = try await channel.activityExists(id: AgentActivityID.make())
        #expect(try await channel.startWork(issueID: "uuid-1", appUserID: "app-user-1") != "")
        try await channel.setExternalURL(
            sessionID: "session-1", label: "Baton", url: "http://127.0.0.1:4000/issues/ENG-1")
        return linear.recorded
    }

    @Test func everyDocumentBatonSendsValidatesAgainstLinearsSchema() async throws {
        if let missing = LinearSchema.missing() {
            Issue.record(Comment(rawValue: missing))
            return
        }
        let sent = try await Self.everythingBatonSends()
        // The catalogue is what goes over the wire: nothing sent outside it, nothing in it unsent.
        #expect(Set(sent.map(\.query)) == Set(LinearDocuments.all))
        #expect(LinearDocuments.all.count == Set(LinearDocuments.all).count)
        let result = try await offPool { try LinearSchema.validate(sent.map { ($0.query, $0.variables) }) }
        #expect(result.status == 0, "\(result.problems)")
    }

    /// The check can fail: a field Linear does not have, an argument of the wrong type, an input
    /// field it does not take, and a broken document are each named.
    @Test func theValidatorRefusesWhatLinearWouldRefuse() async throws {
        if let missing = LinearSchema.missing() {
            Issue.record(Comment(rawValue: missing))
            return
        }
        let operations: [(query: String, variables: JSONValue?)] = [
            ("query BatonViewer { viewer { id name emailAddress } }", nil),
            ("query BatonIssueTeam($id: Int!) { issue(id: $id) { id } }", nil),
            (
                LinearDocuments.agentActivityCreate,
                ["input": ["agentSessionId": "s", "content": ["type": "thought", "body": "x"], "ephemerality": true]]
            ),
            (LinearDocuments.agentActivityCreate, ["input": ["content": ["type": "thought", "body": "x"]]]),
            ("mutation BatonBroken { commentCreate(", nil),
            (LinearDocuments.viewer, nil),
        ]
        let result = try await offPool { try LinearSchema.validate(operations) }
        #expect(result.status == 1)
        let lines = result.problems.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("BatonViewer: Cannot query field 'emailAddress' on type 'User'") })
        #expect(
            lines.contains {
                $0.hasPrefix("BatonIssueTeam: Variable '$id' of type 'Int!' used in position expecting type 'String!'")
            })
        #expect(lines.contains { $0.contains("BatonAgentActivityCreate: variables:") && $0.contains("'ephemerality'") })
        #expect(lines.contains { $0.contains("BatonAgentActivityCreate: variables:") && $0.contains("agentSessionId") })
        #expect(lines.contains { $0.hasPrefix("(unparsed):") })
        #expect(result.problems.contains("6 operations, 5 problems"))
    }
}

import BatonCore
import BatonHTTP
import BatonIssues
import BatonJSON
import Testing

@testable import BatonAPI

/// `POST /webhooks/linear` with `AgentSessionEvent` in agent mode (SPEC §9.15, §10): read in its
/// own shape, stored and applied; forged, stale, malformed, oversize and self-contradicting
/// deliveries refused with nothing written.
@Suite struct WebhookRoutesAgentSessionTests {
    static let agentMode: JSONValue = ["tracker": ["agent": ["enabled": true]]]

    static let issue = TrackedIssue(
        identifier: "ENG-7", trackerID: "issue-7", title: "Fix the redirect", description: "It loops.", state: "Todo",
        url: "https://linear.app/acme/issue/ENG-7")

    static func created(at ms: Int64 = Timestamp.nowMilliseconds(), context: String = "<issue>ENG-7</issue>")
        -> JSONValue
    {
        LinearWebhook.agentSessionPayload(
            sessionID: "session-1", issue: issue, comment: "@baton take this", promptContext: context, timestampMs: ms)
    }

    static func setting(_ value: JSONValue, _ key: String, in object: String, to new: JSONValue) -> JSONValue {
        guard case .object(var fields) = value, case .object(var inner)? = fields[object] else { return value }
        inner[key] = new
        fields[object] = .object(inner)
        return .object(fields)
    }

    @Test func aCreatedSessionIsStoredAppliedAndAcknowledged() async throws {
        let c = try await TestCoordinator.make(configFile: Self.agentMode)
        defer { c.close() }
        try await c.storeWebhookSecret()
        let response = await c.deliver(Self.created(), delivery: "d-1")
        #expect(response.status == .ok, "\(response.bodyText)")
        #expect(response.json["duplicate"] == false)
        await c.webhooks.processPending()
        let rows = try c.database.readBlocking { conn in
            (
                try conn.query("SELECT issue, status FROM agent_sessions").map {
                    "\($0.string("issue") ?? "") \($0.string("status") ?? "")"
                },
                try conn.query("SELECT type, state FROM agent_activities").map {
                    "\($0.string("type") ?? "") \($0.string("state") ?? "")"
                },
                try conn.query("SELECT outcome FROM webhook_deliveries").compactMap { $0.string("outcome") }
            )
        }
        #expect(rows.0 == ["ENG-7 active"] && rows.1 == ["thought pending"])
        #expect(rows.2 == ["agent session session-1: ENG-7 is queued"])
        #expect(c.issueJSONState("ENG-7") == "queued")
    }

    /// Refused before anything is stored: a wrong signature (forged), a timestamp outside the
    /// window (stale or replayed later), a body that is not Linear's shape, one that contradicts
    /// itself, and one with a field past its bound.
    @Test func forgedStaleMalformedConflictingAndOversizeSessionsWriteNothing() async throws {
        let c = try await TestCoordinator.make(configFile: Self.agentMode)
        defer { c.close() }
        try await c.storeWebhookSecret()
        let before = try c.orchestratorRows()
        let now = Timestamp.nowMilliseconds()
        let cases: [(String, JSONValue, String, HTTPStatus)] = [
            ("forged", Self.created(), "whsec-not-the-secret", .unauthorized),
            ("stale", Self.created(at: now - 3_600_000), TestCoordinator.webhookSecret, .unauthorized),
            ("future", Self.created(at: now + 3_600_000), TestCoordinator.webhookSecret, .unauthorized),
            (
                "malformed", Self.setting(Self.created(), "id", in: "agentSession", to: .int(7)),
                TestCoordinator.webhookSecret, .badRequest
            ),
            (
                "conflicting", Self.setting(Self.created(), "appUserId", in: "agentSession", to: "another-app"),
                TestCoordinator.webhookSecret, .badRequest
            ),
            (
                "oversize", Self.created(context: String(repeating: "x", count: 262_145)),
                TestCoordinator.webhookSecret, .badRequest
            ),
        ]
        for (name, payload, secret, status) in cases {
            let response = await c.deliver(payload, secret: secret, delivery: "d-\(name)")
            #expect(response.status == status, "\(name): \(response.bodyText)")
        }
        await c.webhooks.processPending()
        #expect(try c.orchestratorRows() == before)
    }
}

extension TestCoordinator {
    fileprivate func issueJSONState(_ identifier: String) -> String? {
        try? database.readBlocking { conn in
            try conn.scalar("SELECT state FROM issues WHERE identifier = ?1", [.text(identifier)])?.stringValue
        }
    }
}

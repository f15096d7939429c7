import BatonCore
import BatonCrypto
import BatonHTTP
import BatonIssues
import BatonJSON
import Testing

@testable import BatonAPI

/// `POST /webhooks/linear` beyond the issue flow (IssueRoutesTests): Linear's types Baton does not
/// act on are answered 200 and recorded as ignored, and a signed body replayed under new delivery
/// ids is applied once (issue 17).
@Suite struct WebhookRoutesIgnoredAndReplayedTests {
    /// Deliveries in the shapes Linear sends for types Baton does not act on: IssueSLA carries
    /// `issueData` instead of `data`, AgentSessionEvent `agentSession`, OAuthApp nothing but its
    /// ids; any other type, even one Linear adds later, is treated the same.
    static func ignoredPayloads(_ now: Int64) -> [(type: String, payload: JSONValue)] {
        [
            (
                "IssueSLA",
                [
                    "type": "IssueSLA", "action": "highRisk", "webhookTimestamp": .int(now),
                    "issueData": ["id": "i-1", "identifier": "ENG-1", "title": "Late", "slaType": "all"],
                    "url": "https://linear.app/x/issue/ENG-1",
                ]
            ),
            (
                "OAuthApp",
                [
                    "type": "OAuthApp", "action": "revoked", "oauthClientId": "c-1", "organizationId": "o-1",
                    "webhookTimestamp": .int(now),
                ]
            ),
            (
                "AppUserNotification",
                [
                    "type": "AppUserNotification", "action": "issueAssignedToYou", "appUserId": "u-1",
                    "notification": ["type": "issueAssignedToYou", "issueId": "i-1"], "webhookTimestamp": .int(now),
                ]
            ),
            (
                "AgentSessionEvent",
                [
                    "type": "AgentSessionEvent", "action": "created", "agentSession": ["id": "s-1"],
                    "webhookTimestamp": .int(now),
                ]
            ),
            (
                "CustomResource",
                ["type": "CustomResource", "action": "update", "data": "not an object", "webhookTimestamp": .int(now)]
            ),
            ("SomethingNew", ["type": "SomethingNew", "webhookTimestamp": .int(now)]),
            (
                "Project",
                ["type": "Project", "action": "create", "data": ["id": "p-1"], "webhookTimestamp": .int(now)]
            ),
        ]
    }

    static func deliveryRow(_ c: TestCoordinator, _ id: String) throws -> (processed: Bool, outcome: String?)? {
        try c.database.readBlocking { conn in
            try conn.queryOne(
                "SELECT processed_at, outcome FROM webhook_deliveries WHERE delivery_id = ?1", [.text(id)]
            ).map { ($0.string("processed_at") != nil, $0.string("outcome")) }
        }
    }

    /// What Baton keeps of issues and jobs (not the deliveries table, which records the ignored ones).
    static func issueRows(_ c: TestCoordinator) throws -> [String] {
        try c.orchestratorRows().filter { !$0.hasPrefix("webhook_deliveries:") }
    }

    @Test func typesBatonDoesNotActOnAreAnswered200AndRecordedAsIgnored() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        let before = try Self.issueRows(c)
        let payloads = Self.ignoredPayloads(Timestamp.nowMilliseconds())
        for (type, payload) in payloads {
            let response = await c.deliver(payload, delivery: "d-\(type)")
            #expect(response.status == .ok, "\(type): \(response.bodyText)")
            #expect(response.json["received"] == true && response.json["duplicate"] == false, "\(type)")
            let row = try #require(try Self.deliveryRow(c, "d-\(type)"), "\(type) not stored")
            #expect(row.processed && row.outcome == "ignored: \(type)", "\(type): \(row)")
        }
        // An action of Issue or Comment that Baton does not act on is ignored the same way.
        var reaction = LinearWebhook.commentPayload(
            issue: "ENG-1", body: "edited", timestampMs: Timestamp.nowMilliseconds()
        ).objectValue!
        reaction["action"] = "update"
        #expect(await c.deliver(.object(reaction), delivery: "d-comment-update").status == .ok)
        #expect(try Self.deliveryRow(c, "d-comment-update")?.outcome == "ignored: Comment update")
        // Processing and ticking find nothing to do: no issue, job or transition came of them.
        await c.webhooks.processPending()
        try await c.orchestrator.tick(tenant: "default")
        #expect(try Self.issueRows(c) == before)
        let metrics = c.metrics.exposition()
        #expect(metrics.contains(#"baton_webhook_deliveries_total{outcome="ignored"} 8"#), "\(metrics)")
        #expect(metrics.contains(#"baton_webhook_ignored_total{type="IssueSLA"} 1"#))
        #expect(metrics.contains(#"baton_webhook_ignored_total{type="other"} 1"#))
        #expect(metrics.contains(#"baton_webhook_ignored_total{type="Comment"} 1"#))
        #expect(metrics.contains(#"baton_webhook_deliveries_total{outcome="bad_request"} 0"#))
    }

    /// The checks before the type still hold for ignored types: a forged or stale one is refused
    /// and nothing is stored.
    @Test func ignoredTypesAreStillCheckedFirst() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        let before = try c.orchestratorRows()
        let now = Timestamp.nowMilliseconds()
        let sla = Self.ignoredPayloads(now)[0].payload
        #expect(await c.deliver(sla, secret: "not-the-secret").status == .unauthorized)
        var stale = sla.objectValue!
        stale["webhookTimestamp"] = .int(now - 61_000)
        #expect(await c.deliver(.object(stale)).status == .unauthorized)
        var untimed = sla.objectValue!
        untimed["webhookTimestamp"] = nil
        #expect(await c.deliver(.object(untimed)).status == .badRequest)
        #expect(await c.deliver(["action": "set", "issueData": [:]]).status == .badRequest)
        #expect(await c.deliver(.null, raw: "[1,2]").status == .badRequest)
        #expect(try c.orchestratorRows() == before)
    }

    /// The `Linear-Delivery` header is not signed: one signed comment sent as A, A, B, C (an
    /// attacker who captured it, or a retrying proxy) is one delivery, applied once. A new body
    /// (another comment) is a new delivery.
    @Test func aSignedBodyReplayedUnderNewDeliveryIdsIsAppliedOnce() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        try await c.deliverAndTick(c.issueDelivery("ENG-10"))
        let leased = try #require(await c.lease("w1"))
        let comment = LinearWebhook.commentPayload(
            issue: "ENG-10", body: "/baton focus on the parser", timestampMs: Timestamp.nowMilliseconds())
        var answers: [JSONValue?] = []
        for id in ["A", "A", "B", "C"] {
            let response = await c.deliver(comment, delivery: id)
            #expect(response.status == .ok, "\(id): \(response.bodyText)")
            answers.append(response.json["duplicate"])
        }
        #expect(answers == [false, true, true, true])
        await c.webhooks.processPending()
        try await c.orchestrator.tick(tenant: "default")
        let steers = try c.database.readBlocking { conn in
            try conn.query("SELECT message FROM job_steers WHERE job_id = ?1", [.integer(leased.id)]).compactMap {
                $0.string("message")
            }
        }
        #expect(steers == ["focus on the parser"])
        let stored = try c.database.readBlocking { conn in
            try conn.query("SELECT delivery_id FROM webhook_deliveries WHERE type = 'Comment'").compactMap {
                $0.string("delivery_id")
            }
        }
        #expect(stored == ["A"])
        #expect(c.metrics.exposition().contains(#"baton_webhook_deliveries_total{outcome="duplicate"} 3"#))
        // Another comment is another body: taken.
        let next = LinearWebhook.commentPayload(
            issue: "ENG-10", body: "/baton and the lexer", timestampMs: Timestamp.nowMilliseconds() + 1)
        #expect(await c.deliver(next, delivery: "D").json["duplicate"] == false)
        await c.webhooks.processPending()
        #expect(try c.database.readBlocking { try $0.scalar("SELECT count(*) FROM job_steers")?.intValue } == 2)
    }
}

import BatonCore
import BatonCrypto
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonJobs
import BatonStore
import Testing

@testable import BatonAPI

/// Signed Linear deliveries and the orchestrator's rows, for the issue, webhook and template route tests.
extension TestCoordinator {
    static let webhookSecret = "whsec-test-0123456789"

    func storeWebhookSecret() async throws {
        try await vault.set(tenant: "default", name: "linear_webhook_secret", value: Self.webhookSecret)
    }

    /// Posts a delivery signed with `secret` (the stored one unless told).
    func deliver(
        _ payload: JSONValue, secret: String = TestCoordinator.webhookSecret, delivery: String? = nil,
        contentType: String = "application/json", raw: String? = nil
    ) async -> HTTPResponse {
        let body = raw ?? payload.text
        var headers: HTTPHeaders = ["Content-Type": contentType]
        headers.add("Linear-Signature", LinearWebhook.sign(Array(body.utf8), secret: secret))
        headers.add("Linear-Delivery", delivery ?? Hex.encode(SecureRandom.bytes(8)))
        return await request(.post, "/webhooks/linear", headers: headers, body: body, anonymous: true)
    }

    func issueDelivery(
        _ identifier: String, state: String = "Todo", action: String = "create", title: String = "Fix it"
    )
        -> JSONValue
    {
        LinearWebhook.issuePayload(
            TrackedIssue(identifier: identifier, title: title, state: state, priority: 2, labels: ["bug"]),
            action: action, timestampMs: Timestamp.nowMilliseconds())
    }

    /// Delivers, processes what was stored and ticks once.
    func deliverAndTick(_ payload: JSONValue) async throws {
        let response = await deliver(payload)
        #expect(response.status == .ok, "delivery: \(response.bodyText)")
        await webhooks.processPending()
        try await orchestrator.tick(tenant: "default")
    }

    func issueJSON(_ identifier: String) async -> JSONValue { await request(.get, "/api/v1/\(identifier)").json }

    /// Every row the orchestrator writes, to show a refused request changed nothing.
    func orchestratorRows() throws -> [String] {
        try database.readBlocking { conn in
            var out: [String] = []
            for table in [
                "issues", "attempts", "issue_transitions", "webhook_deliveries", "templates", "jobs", "agent_sessions",
                "agent_activities",
            ] {
                for row in try conn.query("SELECT * FROM \(table) ORDER BY rowid") {
                    out.append(table + ":" + row.columns.map { "\($0)=\(row[$0])" }.joined(separator: ","))
                }
            }
            return out
        }
    }

    func commands(_ worker: String) throws -> [String] {
        try database.readBlocking { conn in
            try conn.query("SELECT command FROM worker_commands WHERE instance = ?1 ORDER BY id", [.text(worker)])
                .compactMap { $0.string("command") }
        }
    }
}

extension JSONValue {
    /// An array's element, nil past the end (so a short answer fails an expectation, not the run).
    subscript(_ index: Int) -> JSONValue? {
        guard let items = arrayValue, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

import BatonCore
import BatonCrypto
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonJobs
import BatonStore
import Testing

@testable import BatonAPI

/// `POST /webhooks/linear`: what a delivery must carry to be
/// stored, what a refused one leaves behind (nothing), duplicates and the rate limit.
@Suite struct WebhookRoutesTests {
    @Test func aDuplicateDeliveryIsOneAttempt() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        let payload = c.issueDelivery("ENG-2")
        #expect(await c.deliver(payload, delivery: "delivery-1").json["duplicate"] == false)
        let again = await c.deliver(payload, delivery: "delivery-1")
        #expect(again.status == .ok && again.json["duplicate"] == true)
        await c.webhooks.processPending()
        await c.webhooks.processPending()
        try await c.orchestrator.tick(tenant: "default")
        try await c.orchestrator.tick(tenant: "default")
        #expect(await c.request(.get, "/api/v1/ENG-2/attempts").json["attempts"]?.arrayValue?.count == 1)
    }

    @Test(arguments: ["forged", "stale", "future", "malformed", "content-type", "no-delivery", "not-issue"])
    func refusedDeliveriesWriteNothing(kind: String) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        let before = try c.orchestratorRows()
        let now = Timestamp.nowMilliseconds()
        let response: HTTPResponse
        var expected: HTTPStatus = .badRequest
        switch kind {
        case "forged":
            response = await c.deliver(c.issueDelivery("ENG-3"), secret: "not-the-secret")
            expected = .unauthorized
        case "stale", "future":
            var payload = c.issueDelivery("ENG-3").objectValue!
            // Two minutes off, twice max_age_ms: still refused however slowly the test runs.
            payload["webhookTimestamp"] = .int(kind == "stale" ? now - 120_000 : now + 120_000)
            response = await c.deliver(.object(payload))
            expected = .unauthorized
        case "malformed":
            response = await c.deliver(.null, raw: #"{"action":"create","type":"Issue","data":{"#)
        case "content-type":
            response = await c.deliver(c.issueDelivery("ENG-3"), contentType: "text/plain")
            expected = HTTPStatus(code: 415)
        case "no-delivery":
            let body = c.issueDelivery("ENG-3").text
            var headers: HTTPHeaders = ["Content-Type": "application/json"]
            headers.add("Linear-Signature", LinearWebhook.sign(Array(body.utf8), secret: TestCoordinator.webhookSecret))
            response = await c.request(.post, "/webhooks/linear", headers: headers, body: body, anonymous: true)
        default:
            var payload = c.issueDelivery("ENG-3").objectValue!
            payload["data"] = ["identifier": "not an id", "state": ["name": "Todo"]]
            response = await c.deliver(.object(payload))
        }
        #expect(response.status == expected, "\(kind): \(response.bodyText)")
        #expect(response.json["error"]?.stringValue?.isEmpty == false)
        await c.webhooks.processPending()
        #expect(try c.orchestratorRows() == before)
    }

    @Test func withoutASecretWebhooksAre503WithRetryAfter() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let before = try c.orchestratorRows()
        let response = await c.deliver(c.issueDelivery("ENG-4"))
        #expect(response.status == .serviceUnavailable && response.headers["Retry-After"] == "60")
        #expect(try c.orchestratorRows() == before)
    }

    @Test func deliveriesBeyondTheRateAre429AndWriteNothing() async throws {
        let c = try await TestCoordinator.make(rateLimiter: RateLimiter(limits: .init(perMinute: ["webhook": 2])))
        defer { c.close() }
        try await c.storeWebhookSecret()
        #expect(await c.deliver(c.issueDelivery("ENG-20")).status == .ok)
        #expect(await c.deliver(c.issueDelivery("ENG-21")).status == .ok)
        let before = try c.orchestratorRows()
        let limited = await c.deliver(c.issueDelivery("ENG-22"))
        #expect(limited.status == .tooManyRequests && limited.headers["Retry-After"] != nil)
        #expect(try c.orchestratorRows() == before)
    }

    /// What needs no secret is judged first: the same answer with or without one configured.
    @Test func unsignedOrUnidentifiedDeliveriesAreRefusedBeforeTheSecretIsLookedUp() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let body = c.issueDelivery("ENG-50").text
        let unsigned = await c.request(
            .post, "/webhooks/linear", headers: ["Content-Type": "application/json"], body: body, anonymous: true)
        #expect(unsigned.status == .unauthorized && unsigned.json["error"] == "the Linear-Signature header is missing")
        var signedOnly: HTTPHeaders = ["Content-Type": "application/json"]
        signedOnly.add("Linear-Signature", String(repeating: "0", count: 64))
        let unidentified = await c.request(.post, "/webhooks/linear", headers: signedOnly, body: body, anonymous: true)
        #expect(
            unidentified.status == .badRequest && unidentified.json["error"] == "the Linear-Delivery header is missing")
    }
}

import BatonCore
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

@testable import BatonAPI

/// A live server on loopback, spoken to over a raw socket: what a client sends reaches the real
/// event loop, so a trap in a handler would end this test process (failing the suite) and a
/// handler that held the loop would hold `/health` with it.
struct LiveServer {
    let port: Int

    /// One request on its own connection; the status and the body once the server closes it.
    func exchange(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: String = "", timeoutMs: Int = 20_000
    ) async throws -> (status: Int, body: String) {
        let answer = try await timedExchange(method, path, headers: headers, body: body, timeoutMs: timeoutMs)
        return (answer.status, answer.body)
    }

    /// `exchange`, with when the server closed the connection, read on the thread that saw it:
    /// the calling task may resume a while later on a busy cooperative pool.
    func timedExchange(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: String = "", timeoutMs: Int = 20_000
    ) async throws -> (status: Int, body: String, answeredAt: ContinuousClock.Instant) {
        let connection = try RawConnection(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\n\r\n"
        try connection.send(head + body)
        let answeredAt = try await offPool { () -> ContinuousClock.Instant in
            _ = connection.readsEOF(timeoutMs: timeoutMs)
            return ContinuousClock.now
        }
        let text = connection.text
        let status = text.hasPrefix("HTTP/1.1 ") ? Int(text.dropFirst(9).prefix(3)) ?? 0 : 0
        let answer = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, answer, answeredAt)
    }

    /// `/health`'s status; it waits as long as any exchange (a server that is gone answers at once).
    func health() async throws -> Int { try await exchange("GET", "/health").status }
}

@Suite struct OutsideNumbersTests {
    static func admin(_ c: TestCoordinator) -> [(String, String)] {
        [("Authorization", "Bearer \(c.adminKey)"), ("Content-Type", "application/json")]
    }

    /// `truncate: 99999999999999999999` ended the server (`Double value cannot be converted to
    /// Int`); now the number is a length beyond any string: nothing is cut.
    @Test func aTruncateLengthBeyondInt64IsSavedAndRenderedAndTheServerLives() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let live = LiveServer(port: port)
        let template: JSONValue = [
            "id": "huge",
            "body":
                "{{ issue.title | truncate: 99999999999999999999 }}|{{ issue.title | truncate: -99999999999999999999 }}",
        ]
        let saved = try await live.exchange("POST", "/api/v1/templates", headers: Self.admin(c), body: template.text)
        #expect(saved.status == 201, "\(saved.body)")
        let preview = try await live.exchange("POST", "/api/v1/templates/huge/preview", headers: Self.admin(c))
        #expect(preview.status == 200, "\(preview.body)")
        #expect(try JSONParser.parse(preview.body)["rendered"] == "Fix the login redirect loop|...")
        #expect(try await live.health() == 200)
        await server.shutdown()
    }

    /// A signed delivery with `"webhookTimestamp": 1e19` ended the server in `Int64(_:)`; so did a
    /// priority of `1e19`. Now each is a 400 that stores nothing, and the server goes on.
    @Test(arguments: [
        ("webhookTimestamp", "1e19"), ("webhookTimestamp", "-1e19"), ("webhookTimestamp", "-9223372036854775808"),
        ("priority", "1e19"), ("priority", "-1e300"),
    ])
    func aSignedWebhookWithANumberBeyondInt64Is400AndTheServerLives(field: String, number: String) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        let (server, port) = try c.startServer()
        let live = LiveServer(port: port)
        let now = Timestamp.nowMilliseconds()
        let timestamp = field == "webhookTimestamp" ? number : String(now)
        let priority = field == "priority" ? number : "2"
        let body = """
            {"action":"create","type":"Issue","webhookTimestamp":\(timestamp),"createdAt":"2026-12-01T00:00:00.000Z",
             "data":{"id":"uuid-1","identifier":"ENG-1","title":"t","state":{"name":"Todo"},"priority":\(priority)}}
            """
        let before = try c.orchestratorRows()
        let headers = [
            ("Content-Type", "application/json"), ("Linear-Delivery", "delivery-\(field)-\(number)"),
            ("Linear-Signature", LinearWebhook.sign(Array(body.utf8), secret: TestCoordinator.webhookSecret)),
        ]
        let answer = try await live.exchange("POST", "/webhooks/linear", headers: headers, body: body)
        #expect(answer.status == 400, "\(answer.body)")
        #expect(answer.body.contains(field == "priority" ? "data.priority" : "webhookTimestamp"), "\(answer.body)")
        #expect(try await live.health() == 200)
        await c.webhooks.processPending()
        #expect(try c.orchestratorRows() == before)
        await server.shutdown()
    }

    /// Token counts are summed (an issue's `total`, the ledger): one of Int64.max from a worker
    /// made `GET /api/v1/state` trap on `+`. Counts beyond 2^53 − 1 are refused and change nothing.
    @Test func tokenCountsBeyondTheBoundAre400AndChangeNothing() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w")
        let id = try #require(await c.createJob()["id"]?.intValue)
        let lease = try #require(await c.lease("w"))
        let before = try c.dispatchRows()
        for tokens in [
            #"{"input":9223372036854775807}"#, #"{"output":1e19}"#, #"{"input":9007199254740992}"#,
            #"{"input":1,"output":-1}"#,
        ] {
            let events = await c.send(
                .post, "/api/jobs/\(id)/events", #"{"token":"\#(lease.token)","tokens":\#(tokens)}"#)
            #expect(events.status == .badRequest, "\(tokens): \(events.bodyText)")
            let done = await c.complete(id, token: lease.token, extra: #","tokens":\#(tokens)"#)
            #expect(done.status == .badRequest && done.bodyText.contains("tokens."), "\(tokens): \(done.bodyText)")
        }
        #expect(try c.dispatchRows() == before)
        let done = await c.complete(
            id, token: lease.token, extra: #","tokens":{"input":9007199254740991,"output":9007199254740991}"#)
        #expect(done.status == .ok, "\(done.bodyText)")
        #expect(await c.request(.get, "/api/v1/state").status == .ok)
    }

    /// Workspace sizes from heartbeats are summed by `GET /api/v1/workspaces`: two of Int64.max
    /// made it trap. Sizes beyond 2^53 − 1 are refused; the sum of those allowed cannot overflow.
    @Test func workspaceSizesBeyondTheBoundAre400AndTheSumHolds() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w")
        let before = try c.dispatchRows()
        for bytes in ["9223372036854775807", "9007199254740992", "1e19", "-1"] {
            let response = await c.send(
                .put, "/presence",
                #"{"instance":"w","provider":"claude","workspaces":[{"name":"ENG-1","bytes":\#(bytes)}]}"#)
            #expect(response.status == .badRequest, "\(bytes): \(response.bodyText)")
        }
        #expect(try c.dispatchRows() == before)
        for worker in ["w", "v"] {
            let response = await c.send(
                .put, "/presence",
                #"{"instance":"\#(worker)","status":"idle","provider":"claude","capacity":1,"workspaces":[{"name":"ENG-1","bytes":9007199254740991},{"name":"ENG-2","bytes":9007199254740991}]}"#
            )
            #expect(response.status == .ok, "\(response.bodyText)")
        }
        let listed = await c.request(.get, "/api/v1/workspaces")
        #expect(listed.status == .ok && listed.json["bytes"] == .int(4 * 9_007_199_254_740_991), "\(listed.bodyText)")
    }

    /// A reported cost of 1e300 made the killswitch's reason trap in `Int64(_:)` while crossing
    /// the budget. A cost beyond 1,000,000 is now a 400 that changes nothing; the largest one
    /// allowed raises the budget's killswitch with a reason that says it.
    @Test func aHugeReportedCostIsRefusedAndTheLargestAllowedRaisesTheBudget() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = try c.config.replaceOverlay(["budget": ["daily_limit_usd": 1.0]])
        await c.heartbeat("w")
        let id = try #require(await c.createJob()["id"]?.intValue)
        let lease = try #require(await c.lease("w"))
        let before = try c.dispatchRows()
        let refused = await c.complete(id, token: lease.token, extra: #","cost_usd":1e300"#)
        #expect(refused.status == .badRequest && refused.bodyText.contains("cost_usd"), "\(refused.bodyText)")
        #expect(try c.dispatchRows() == before)
        let done = await c.complete(id, token: lease.token, extra: #","cost_usd":1000000"#)
        #expect(done.status == .ok, "\(done.bodyText)")
        let state = await c.request(.get, "/tenant/killswitch").json
        #expect(state["level"] == 2 && state["reason"]?.stringValue?.contains("$1000000.00") == true, "\(state)")
    }
}

import BatonCore
import BatonTestSupport
import Testing

@testable import BatonAPI
@testable import BatonHTTP

/// The coordinator's middleware answer a request the same way whether the router runs their
/// steps synchronously (and the request is answered at once) or runs the async chains layer by
/// layer: status, headers, body, the metrics series counted and the access log line (SPEC §2.1).
@Suite struct CoordinatorRoutesSynchronousPathTests {
    struct Case {
        let method: HTTPMethod
        let target: String
        var headers: HTTPHeaders = [:]
        /// The metrics label: the matched pattern, or `<unmatched>` for the router's own answers.
        var route: String? = nil
        /// Whether every step and the handler can run without suspending.
        let ready: Bool
        let status: Int
    }

    struct Answer: Equatable {
        let status: Int
        let headers: [String]
        let body: String
    }

    static func answer(_ response: HTTPResponse) -> Answer {
        Answer(
            status: response.status.code, headers: response.headers.map { "\($0.name): \($0.value)" },
            body: response.bodyText)
    }

    /// The value of one `baton_http_requests_total` series, 0 while it does not exist.
    static func served(_ c: TestCoordinator, _ method: String, _ route: String, _ status: Int) -> Int {
        let prefix = #"baton_http_requests_total{method="\#(method)",route="\#(route)",status="\#(status)"} "#
        let line = c.metrics.exposition().split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
    }

    /// The access log line without its duration.
    static func logLine(_ c: TestCoordinator) -> String? {
        c.logLines.all.last.map { line in
            line.split(separator: " ").filter { !$0.hasSuffix("ms") }.joined(separator: " ")
        }
    }

    @Test func everyCaseAnswersAlikeBothWays() async throws {
        // Keys are checked from memory between change looks: none falls due during this test.
        let c = try await TestCoordinator.make(keyChangeCheckInterval: .seconds(3600))
        defer { c.close() }
        let viewer = try c.makeKey(.viewer)
        let admin: HTTPHeaders = ["Authorization": "Bearer \(c.adminKey)"]
        let cookie = "baton_session=" + String(repeating: "ab", count: 32)
        let cases = [
            Case(method: .get, target: "/health", ready: true, status: 200),
            Case(method: .head, target: "/health", ready: true, status: 200),
            Case(method: .options, target: "/health", headers: admin, route: "<unmatched>", ready: true, status: 204),
            // Unknown paths and methods need a key too.
            Case(method: .options, target: "/health", route: "<unmatched>", ready: true, status: 401),
            Case(method: .get, target: "/health?x=1", headers: admin, ready: true, status: 200),
            Case(method: .get, target: "/api/v1/openapi.json", ready: true, status: 200),
            Case(method: .get, target: "/nope", headers: admin, route: "<unmatched>", ready: true, status: 404),
            Case(method: .get, target: "/nope", route: "<unmatched>", ready: true, status: 401),
            Case(
                method: .get, target: "/api/v1/keys", headers: ["Authorization": "Bearer \(viewer)"], ready: true,
                status: 403),
            Case(
                method: .get, target: "/api/v1/keys", headers: ["Authorization": "Basic eDp5"], ready: true, status: 401
            ),
            Case(
                method: .get, target: "/api/v1/keys", headers: ["Authorization": "Bearer bt_nope"], ready: true,
                status: 401),
            // The handler reads the database: the steps run, the rest is pending.
            Case(method: .get, target: "/api/jobs", headers: admin, ready: false, status: 200),
            // A change attempt is audited, which suspends.
            Case(method: .post, target: "/health", headers: admin, route: "<unmatched>", ready: false, status: 405),
            // A session cookie is checked against the key store asynchronously, where a key is
            // needed; a public route looks at none.
            Case(method: .get, target: "/api/jobs", headers: ["Cookie": cookie], ready: false, status: 401),
            Case(method: .get, target: "/health", headers: ["Cookie": cookie], ready: true, status: 200),
        ]
        for (n, test) in cases.enumerated() {
            var headers = test.headers
            headers.add("X-Request-Id", "case-\(n)")
            let request = HTTPRequest(method: test.method, target: test.target, headers: headers)
            let route = test.route ?? request.path
            let method = test.method.rawValue
            let before = Self.served(c, method, route, test.status)

            let immediate = c.router.respondImmediately(to: request)
            var ready = false
            if case .ready = immediate { ready = true }
            let first = Self.answer(await immediate.response())
            let firstLog = Self.logLine(c)
            #expect(ready == test.ready, "\(method) \(test.target)")
            #expect(first.status == test.status, "\(method) \(test.target): \(first.body)")
            #expect(Self.served(c, method, route, test.status) == before + 1, "\(method) \(test.target)")

            let second = Self.answer(await c.router.respondAsynchronously(to: request))
            #expect(second == first, "\(method) \(test.target)")
            #expect(Self.logLine(c) == firstLog, "\(method) \(test.target)")
            #expect(Self.served(c, method, route, test.status) == before + 2, "\(method) \(test.target)")
        }
    }

    /// Once the key store's change look is due, the request that finds it so makes the look in a
    /// task (SPEC §5.6), and answers as it would have at once.
    @Test func aKeyDueForItsChangeLookIsCheckedInATask() async throws {
        let c = try await TestCoordinator.make(keyChangeCheckInterval: .milliseconds(1))
        defer { c.close() }
        let request = HTTPRequest(
            method: .get, target: "/nope", headers: ["Authorization": "Bearer \(c.adminKey)", "X-Request-Id": "due"])
        let checks = c.keys.refreshStatistics.checks
        #expect(await eventually(timeout: .seconds(5)) { c.keys.authenticateFromMemory(c.adminKey) == nil })
        let answer = c.router.respondImmediately(to: request)
        guard case .pending = answer else {
            Issue.record("a key due for its change look is not checked on the loop")
            return
        }
        let response = await answer.response()
        #expect(c.keys.refreshStatistics.checks > checks)
        #expect(response.status == .notFound)
        #expect(Self.answer(await c.router.respondAsynchronously(to: request)) == Self.answer(response))
    }

    @Test func theAnonymousLimitRefusesAlikeBothWays() async throws {
        let limits = RateLimiter.Limits(perMinute: ["anonymous": 1])
        let c = try await TestCoordinator.make(rateLimiter: RateLimiter(limits: limits))
        defer { c.close() }
        let request = HTTPRequest(method: .get, target: "/api/v1/keys", headers: ["X-Request-Id": "r"])
        // The one token goes to the first request, refused by authentication.
        #expect(await c.router.respond(to: request).status == .unauthorized)
        let immediate = c.router.respondImmediately(to: request)
        guard case .ready(let refused) = immediate else {
            Issue.record("a read refused by the anonymous limit is answered at once")
            return
        }
        let viaTasks = await c.router.respondAsynchronously(to: request)
        #expect(refused.status == .tooManyRequests)
        #expect(refused.headers["Retry-After"] != nil)
        #expect(Self.answer(viaTasks) == Self.answer(refused))
        #expect(Self.served(c, "GET", "/api/v1/keys", 429) == 2)
        // Reads are not audited, refused or not.
        #expect(try c.auditActions().isEmpty)
    }
}

import BatonCore
import BatonHTTP
import BatonIssues
import BatonJSON
import Foundation
import Testing

@testable import BatonAPI

/// The `templates.*` limits through the API: an exceeded limit is a 400 naming the limit, its line
/// and column on save and preview (storing nothing), a blocked attempt with that error at run time,
/// and rendering runs off the event loop, so `/health` is answered while a template renders.
@Suite struct TemplateBudgetRoutesTests {
    /// `count` nested loops over `list`, one per line (the line breaks trimmed), around `inner`.
    static func nestedLoops(_ count: Int, over list: String = "issue.labels", inner: String = "x") -> String {
        (0..<count).map { ($0 == 0 ? "{% for" : "{%- for") + " a in \(list) %}" }.joined(separator: "\n") + inner
            + String(repeating: "{% endfor %}", count: count)
    }

    static func headers(_ c: TestCoordinator) -> [(String, String)] {
        [("Authorization", "Bearer \(c.adminKey)"), ("Content-Type", "application/json")]
    }

    /// The issue's reproduction: ~811 bytes, 20 nested loops over a two-item list, 4.8 s to save
    /// while `/health` waited. Now a quick 400 naming `templates.max_depth` at line 17, and the
    /// server answers `/health`.
    @Test func twentyNestedLoopsAreRefusedQuicklyOverALiveServer() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let live = LiveServer(port: port)
        let before = try c.orchestratorRows()
        let body: JSONValue = ["id": "nested", "body": .string(Self.nestedLoops(20))]
        let started = ContinuousClock.now
        let answer = try await live.exchange("POST", "/api/v1/templates", headers: Self.headers(c), body: body.text)
        // Refused when parsed: no render at all (the million iterations took 4.8 s in a release
        // build, about ten times that in a debug one). The bound is loose: a full run can keep
        // the cooperative threads busy for tens of seconds (it failed at 5 s in such runs).
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(answer.status == 400, "\(answer.body)")
        let error = try JSONParser.parse(answer.body)
        #expect(error["details"]?["limit"] == "templates.max_depth", "\(answer.body)")
        #expect(error["details"]?["line"] == "17" && error["details"]?["column"] == "5", "\(answer.body)")
        #expect(error["error"]?.stringValue?.contains("template error at line 17, column 5") == true)
        #expect(try await live.health() == 200)
        #expect(try c.orchestratorRows() == before)
        await server.shutdown()
    }

    /// With limits loose enough to let it run, such a template (22 levels: four million
    /// iterations) renders for up to
    /// `templates.max_render_ms`; meanwhile `/health` is answered (the render is not on the event
    /// loop), and then the save is refused naming the time limit.
    @Test func aLongRenderDoesNotHoldTheEventLoop() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = try c.config.replaceOverlay([
            "templates": [
                "max_depth": 32, "max_loop_iterations": 10_000_000, "max_output_bytes": 16_777_216,
                "max_render_ms": 2500,
            ]
        ])
        let (server, port) = try c.startServer()
        let live = LiveServer(port: port)
        let before = try c.orchestratorRows()
        let body: JSONValue = ["id": "slow", "body": .string(Self.nestedLoops(22))]
        let started = ContinuousClock.now
        // Each answer is timed on the thread that read it, not when this task next ran: a busy
        // pool could otherwise delay the health check's figure by the margin measured below.
        let save = Task {
            try await live.timedExchange("POST", "/api/v1/templates", headers: Self.headers(c), body: body.text)
        }
        try await Task.sleep(for: .milliseconds(300))
        let health = try await live.timedExchange("GET", "/health")
        #expect(health.status == 200)
        let healthAnswered = health.answeredAt
        let answer = try await save.value
        let saveAnswered = answer.answeredAt
        // With the render on the event loop, /health was read only after the save's handler
        // returned, so both were answered together; off the loop it is answered while the render
        // still has most of its 2.5 s to run.
        #expect(
            saveAnswered - healthAnswered > .milliseconds(800),
            "GET /health was answered only \(saveAnswered - healthAnswered) before the save: it waited for the render")
        #expect(
            saveAnswered - started > .milliseconds(2000),
            "the save answered after \(saveAnswered - started), before it could run to max_render_ms")
        #expect(answer.status == 400, "\(answer.body)")
        #expect(try JSONParser.parse(answer.body)["details"]?["limit"] == "templates.max_render_ms", "\(answer.body)")
        #expect(try c.orchestratorRows() == before)
        await server.shutdown()
    }

    /// Each limit on save (POST and PUT) and on preview: 400 with the limit, line and column, and
    /// nothing stored or changed.
    @Test func eachLimitIsA400NamingItsPlaceAndStoresNothing() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = try c.config.replaceOverlay(["templates": ["max_loop_iterations": 10, "max_output_bytes": 1024]])
        let cases: [(String, String, String, String)] = [
            // 2 + 4 + 8 iterations over the sample's two labels.
            (Self.nestedLoops(3), "templates.max_loop_iterations", "3", "5"),
            (
                "header\n{% for a in issue.labels %}" + String(repeating: "y", count: 600) + "{% endfor %}",
                "templates.max_output_bytes", "2", "28"
            ),
            // Nine spaces, each made 200 bytes: refused before the string is built.
            (
                "{{ issue.description | replace: ' ', '" + String(repeating: "z", count: 200) + "' }}",
                "templates.max_output_bytes", "1", "24"
            ),
            (Self.nestedLoops(17, over: "steer"), "templates.max_depth", "17", "5"),
        ]
        #expect(
            await c.send(.post, "/api/v1/templates", #"{"id":"kept","body":"{{ issue.title }}"}"#).status == .created)
        for (source, limit, line, column) in cases {
            let before = try c.orchestratorRows()
            let created: JSONValue = ["id": "t", "body": .string(source)]
            let replaced: JSONValue = ["body": .string(source)]
            for (method, target, body) in [
                (HTTPMethod.post, "/api/v1/templates", created), (.put, "/api/v1/templates/kept", replaced),
            ] {
                let response = await c.send(method, target, body.text)
                #expect(response.status == .badRequest, "\(limit): \(response.bodyText)")
                #expect(response.json["details"]?["limit"] == .string(limit), "\(response.bodyText)")
                #expect(response.json["details"]?["line"] == .string(line), "\(limit): \(response.bodyText)")
                #expect(response.json["details"]?["column"] == .string(column), "\(limit): \(response.bodyText)")
            }
            #expect(try c.orchestratorRows() == before, "\(limit)")
        }
        #expect(await c.request(.get, "/api/v1/templates/kept").json["body"] == "{{ issue.title }}")
        // A stored template whose preview, with the caller's variables, runs past a limit.
        let two: JSONValue = ["id": "two", "body": .string(Self.nestedLoops(2))]
        #expect(await c.send(.post, "/api/v1/templates", two.text).status == .created)
        let before = try c.orchestratorRows()
        let labels = JSONValue.array((0..<10).map { .string("l\($0)") })
        let variables: JSONValue = ["variables": ["issue": ["labels": labels]]]
        let preview = await c.send(.post, "/api/v1/templates/two/preview", variables.text)
        #expect(preview.status == .badRequest, "\(preview.bodyText)")
        #expect(preview.json["details"]?["limit"] == "templates.max_loop_iterations", "\(preview.bodyText)")
        #expect(preview.json["details"]?["line"] == "2" && preview.json["details"]?["column"] == "5")
        #expect(try c.orchestratorRows() == before)
        // The limits are configuration: out of range is refused like any other key.
        let bad = await c.send(.put, "/api/v1/config/overlay", #"{"templates":{"max_depth":0}}"#)
        #expect(bad.status == .badRequest, "\(bad.bodyText)")
    }

    /// At run time the issue's real variables may be larger than the sample's: a template that
    /// passed its check runs past a limit, and the attempt is blocked with the limit's error (no
    /// job), like any other render error.
    @Test func aLimitPassedAtRunTimeBlocksTheAttempt() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        // 2 + 4 + 8 iterations with the sample's two labels; 30 + 900 + 27,000 with thirty.
        let template: JSONValue = ["id": "nested", "body": .string(Self.nestedLoops(3))]
        let created = await c.send(.post, "/api/v1/templates", template.text)
        #expect(created.status == .created, "\(created.bodyText)")
        _ = try c.config.replaceOverlay(["agent": ["template": "nested"]])
        let payload = LinearWebhook.issuePayload(
            TrackedIssue(
                identifier: "ENG-70", title: "Many labels", state: "Todo", priority: 2,
                labels: (0..<30).map { "label-\($0)" }),
            action: "create", timestampMs: Timestamp.nowMilliseconds())
        try await c.deliverAndTick(payload)
        let issue = await c.issueJSON("ENG-70")
        #expect(issue["state"] == "blocked", "\(issue)")
        let attempt = try #require(issue["attempts"]?[0])
        #expect(attempt["status"] == "blocked" && attempt["job"] == .null, "\(attempt)")
        let error = attempt["error"]?.stringValue ?? ""
        #expect(
            error.hasPrefix("template nested: line 3, column 5: loops run more than templates.max_loop_iterations"),
            "\(error)")
        #expect(try c.dispatchRows().filter { $0.hasPrefix("jobs:") }.isEmpty)
        // The limit is configuration, read at each attempt: raised, the next attempt renders.
        // (The render time limit raised too: 27,000 iterations in a debug build on a loaded machine
        // can take longer than the default second.)
        _ = try c.config.replaceOverlay([
            "agent": ["template": "nested"], "templates": ["max_loop_iterations": 30_000, "max_render_ms": 60_000],
        ])
        let requeued = await c.send(.post, "/api/v1/ENG-70/transition", #"{"to":"queued"}"#)
        #expect(requeued.status == .ok, "\(requeued.bodyText)")
        try await c.orchestrator.tick(tenant: "default")
        let again = await c.issueJSON("ENG-70")
        #expect(again["state"] == "running", "\(again)")
        #expect(again["attempts"]?[1]?["prompt"]?.stringValue == String(repeating: "x", count: 27_000))
    }
}

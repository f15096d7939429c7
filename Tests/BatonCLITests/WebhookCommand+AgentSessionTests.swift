import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// The README's agent walkthrough (SPEC §9.15): `baton serve` in agent mode with its embedded
/// worker and a loopback Linear, `baton webhook send agent-session` delegating an issue in
/// Linear's signed shape; the thought, the response and the session's link arrive in Linear
/// with the app's token, and the issue's view shows the session and its activities.
@Suite struct WebhookCommandAgentSessionTests {
    /// A data directory holding the app's token, as the README's walkthrough stores it.
    static func storeAppToken(in dir: String) async throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let stored = try await BatonBinary.run(
            ["secrets", "set", "linear_agent_token", "--data-dir", dir], input: FakeLinear.appToken)
        #expect(stored.status == 0, "\(stored.stderr)")
    }

    /// Agent mode turned on by an overlay while serve runs: sessions stored from then on are
    /// answered in Linear without a restart.
    @Test func agentModeTurnedOnByAnOverlayStartsAtOnce() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let linear = FakeLinear([])
        let endpoint = try linear.start()
        defer { Task { await linear.stop() } }
        try await Self.storeAppToken(in: dir)
        try #"{"tracker":{"endpoint":"\#(endpoint)"}}"#.write(
            toFile: dir + "/baton.json", atomically: true, encoding: .utf8)
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir, "--config", dir + "/baton.json"])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        let (status, answer) = try await api.call(
            .put, "/api/v1/config/overlay", #"{"tracker":{"agent":{"enabled":true}}}"#)
        #expect(status == 200, "\(answer.text)")
        let sent = try await WebhookCommandTests.send(
            ["agent-session", "ENG-3", "--title", "Tidy"], port: port, dir: dir)
        #expect(sent.status == 0, "\(sent.stderr)")
        // Only a wait for the answer (a mode that needed a restart would never give one): Linear's
        // 10 s bound is checked in aRestartMidSessionResumesAndPostsNothingTwice, and this suite
        // runs beside the others, whose children can hold both cores for seconds.
        #expect(
            await eventually(timeout: .seconds(30)) { linear.activities.first?.content["type"] == "thought" },
            "\(baton.errors)")
        #expect(await baton.stop() == 0)
    }

    /// A restart while an activity's fate is unknown (Linear created it, its answer was a 500,
    /// and the check could not be made): the new process asks Linear, finds it, and posts
    /// nothing twice; the session's later activities follow in order.
    @Test func aRestartMidSessionResumesAndPostsNothingTwice() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let linear = FakeLinear([])
        let endpoint = try linear.start()
        defer { Task { await linear.stop() } }
        try await Self.storeAppToken(in: dir)
        try #"{"tracker":{"endpoint":"\#(endpoint)","agent":{"enabled":true}}}"#.write(
            toFile: dir + "/baton.json", atomically: true, encoding: .utf8)
        let arguments = ["serve", "--port", "0", "--data-dir", dir, "--config", dir + "/baton.json"]
        linear.failActivityCreates([.createdThenServerError])
        linear.failLookups(true)
        let first = try RunningBaton(arguments)
        let port = try #require(await first.waitForPort(), "serve did not start: \(first.errors)")
        let sent = try await WebhookCommandTests.send(
            ["agent-session", "ENG-5", "--title", "Tidy"], port: port, dir: dir)
        #expect(sent.status == 0, "\(sent.stderr)")
        // Created in Linear, answered 500, and the check before the resend failed too.
        #expect(
            await eventually(timeout: .seconds(20)) {
                linear.activities.count == 1 && linear.recorded.contains { $0.operation == "BatonAgentActivity" }
            }, "\(first.errors)")
        #expect(await first.stop() == 0)
        linear.failLookups(false)
        let second = try RunningBaton(arguments)
        let port2 = try #require(await second.waitForPort(), "serve did not start again: \(second.errors)")
        let api = NodeCommandTests.API(port: port2, key: try NodeCommandTests.adminKey(dir))
        var view = JSONValue.null
        #expect(
            await eventually(timeout: .seconds(30)) {
                view = await api.json("/api/v1/ENG-5")
                let activities = view["agent_sessions"]?.arrayValue?.first?["activities"]?.arrayValue ?? []
                return activities.last?["type"] == "response"
                    && activities.allSatisfy { $0["state"] == "delivered" || $0["state"] == "coalesced" }
            }, "\(view.text) \(second.errors)")
        let delivered = (view["agent_sessions"]?.arrayValue?.first?["activities"]?.arrayValue ?? []).filter {
            $0["state"] == "delivered"
        }.compactMap { $0["id"]?.stringValue }
        // Every activity once, in the session's order, the first created once only.
        #expect(linear.activities.map(\.id) == delivered)
        let creates = linear.recorded.filter { $0.operation == "BatonAgentActivityCreate" }
        #expect(creates.filter { $0.variables["input"]?["id"]?.stringValue == delivered.first }.count == 1)
        #expect(await second.stop() == 0)
    }

    @Test func aDelegationSentAsAWebhookIsWorkedAndReportedToLinear() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let linear = FakeLinear([])
        let endpoint = try linear.start()
        defer { Task { await linear.stop() } }
        try await Self.storeAppToken(in: dir)
        let config = """
            {"tracker":{"endpoint":"\(endpoint)","agent":{"enabled":true,"public_url":"http://baton.example"}}}
            """
        try config.write(toFile: dir + "/baton.json", atomically: true, encoding: .utf8)
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir, "--config", dir + "/baton.json"])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        let sentAt = Date()
        let sent = try await WebhookCommandTests.send(
            ["agent-session", "ENG-9", "--title", "Fix the login page", "--context", "Fix the login page, please"],
            port: port, dir: dir)
        #expect(sent.status == 0, "webhook send: \(sent.stdout) \(sent.stderr)")
        let session = try #require(
            sent.stdout.split(separator: "\n").first { $0.hasPrefix("agent session ") }.map { $0.dropFirst(14) })
        #expect(sent.stdout.contains("200 ") && sent.stdout.contains(#""duplicate":false"#))
        // The acknowledgment within 10 s of the delivery.
        #expect(await eventually(timeout: .seconds(10)) { !linear.activities.isEmpty }, "\(baton.errors)")
        let first = try #require(linear.activities.first)
        #expect(Double(first.receivedAtMs) / 1000 - sentAt.timeIntervalSince1970 <= 10)
        #expect(first.sessionID == String(session) && first.content["type"] == "thought")
        // The embedded dry-run worker completes it; the response follows.
        #expect(
            await eventually { linear.activities.last?.content["type"] == "response" },
            "\(linear.activities) \(baton.errors)")
        #expect(
            linear.externalURLs[String(session)] == [["label": "Baton", "url": "http://baton.example/#/issues/ENG-9"]])
        let agentCalls = linear.recorded.filter { $0.operation.hasPrefix("BatonAgent") }
        #expect(!agentCalls.isEmpty && agentCalls.allSatisfy { $0.authorization == "Bearer " + FakeLinear.appToken })
        let (_, issue) = try await api.call(.get, "/api/v1/ENG-9")
        #expect(issue["state"] == "completed", "\(issue.text)")
        let activities = issue["agent_sessions"]?.arrayValue?.first?["activities"]?.arrayValue ?? []
        #expect(activities.first?["type"] == "thought" && activities.last?["type"] == "response")
        // Marked delivered once Linear has answered: a moment after Linear saw the last one.
        #expect(
            await eventually {
                let now =
                    await api.json("/api/v1/ENG-9")["agent_sessions"]?.arrayValue?.first?["activities"]?
                    .arrayValue ?? []
                return !now.isEmpty && now.allSatisfy { $0["state"] == "delivered" || $0["state"] == "coalesced" }
            }, "\(issue.text)")
        // A prompt after completion: a follow-up attempt in the same workspace.
        let prompted = try await WebhookCommandTests.send(
            ["agent-session", "ENG-9", "--action", "prompted", "--session", String(session), "--prompt", "Once more"],
            port: port, dir: dir)
        #expect(prompted.status == 0, "\(prompted.stderr)")
        #expect(
            await eventually {
                await api.json("/api/v1/ENG-9")["attempts"]?.arrayValue?.count == 2
                    && linear.activities.filter { $0.content["type"] == "response" }.count == 2
            }, "\(baton.errors)")
        let refused = try await WebhookCommandTests.send(
            ["agent-session", "ENG-9", "--action", "prompted"], port: port, dir: dir)
        #expect(refused.status != 0 && refused.stderr.contains("--session"))
        // At start it asked Linear who the app is.
        #expect(
            linear.recorded.contains {
                $0.operation == "BatonViewer" && $0.authorization == "Bearer " + FakeLinear.appToken
            })
        #expect(baton.errors.contains("Linear agent mode as Baton Bot (app user baton-app-user)"), "\(baton.errors)")
        #expect(await baton.stop() == 0)
    }
}

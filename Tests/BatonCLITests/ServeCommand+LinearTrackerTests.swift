import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// `tracker.kind: linear` in a real `baton serve`: it polls a loopback Linear with the API key
/// from its vault, finds an issue no webhook announced, has the embedded worker complete it, and
/// writes back (In Progress, a comment, In Review).
@Suite struct LinearTrackerServeTests {
    @Test func serveFollowsLinearAndWritesBack() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let linear = FakeLinear([
            FakeLinear.Issue(id: "uuid-1", identifier: "ENG-31", title: "From Linear", state: "Todo")
        ])
        let endpoint = try linear.start()
        defer { Task { await linear.stop() } }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let stored = try await BatonBinary.run(
            ["secrets", "set", "linear_api_key", "--data-dir", dir], input: FakeLinear.apiKey)
        #expect(stored.status == 0, "\(stored.stderr)")
        let config =
            #"{"tracker":{"kind":"linear","endpoint":"\#(endpoint)","team_key":"ENG","poll_interval_ms":1000}}"#
        try config.write(toFile: dir + "/baton.json", atomically: true, encoding: .utf8)
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir, "--config", dir + "/baton.json"])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        #expect(
            await eventually { linear.issues.first?.state == "In Review" }, "Linear: \(linear.issues) \(baton.errors)")
        #expect(linear.comments.first?.body.hasPrefix("Baton: attempt 1 completed.") == true)
        #expect(linear.recorded.allSatisfy { $0.authorization == FakeLinear.apiKey })
        let (_, issue) = try await api.call(.get, "/api/v1/ENG-31")
        #expect(issue["attempts"]?.arrayValue?.first?["status"] == "completed", "\(issue.text)")
        #expect(await baton.stop() == 0)
    }
}

import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// SIGTERM and SIGINT as `baton serve` takes them: the first stops gracefully, waiting for requests
/// in flight; a second one while it waits ends the process at once with status 1.
@Suite struct ShutdownSignalTests {
    @Test func aSecondSignalWhileDrainingExitsAtOnce() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let baton = try RunningBaton([
            "serve", "--local-workers", "0", "--port", "0", "--data-dir", dir, "--no-access-log",
        ])
        let port = try #require(await baton.waitForPort(), "serve did not report a port: \(baton.errors)")
        let base = "http://127.0.0.1:\(port)"
        let admin = try String(contentsOfFile: dir + "/admin.key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let client = HTTPClient()
        defer { client.shutdown() }

        // A worker long-polling for a lease (20 s) is a request in flight the stop waits for.
        let created = try await client.execute(
            HTTPClientRequest(
                method: .post, url: base + "/api/v1/keys",
                headers: ["Authorization": "Bearer \(admin)", "Content-Type": "application/json"],
                body: Array(#"{"name":"w1","role":"worker"}"#.utf8)))
        #expect(created.status == 201)
        let key = try #require(try JSONParser.parse(created.body).objectValue?["key"]?.stringValue)
        let worker: HTTPHeaders = ["Authorization": "Bearer \(key)", "Content-Type": "application/json"]
        let presence = try await client.execute(
            HTTPClientRequest(
                method: .put, url: base + "/presence", headers: worker,
                body: Array(#"{"instance":"w1","status":"idle","provider":"ollama"}"#.utf8)))
        #expect(presence.status == 200)
        let lease = Task {
            try? await client.execute(
                HTTPClientRequest(method: .post, url: base + "/api/workers/w1/lease?wait_s=20", headers: worker))
        }
        try await Task.sleep(for: .milliseconds(300))

        #expect(await eventually { baton.handles(SIGTERM) })
        baton.child.signal(SIGTERM)
        #expect(await eventually { baton.errors.contains("shutting down") })
        // Still draining: the long poll holds the graceful stop.
        try await Task.sleep(for: .milliseconds(300))
        #expect(baton.child.isRunning)
        // The second signal does not wait for it.
        let started = ContinuousClock.now
        #expect(await baton.stop(signal: SIGTERM, timeout: 5) == 1)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(!baton.errors.contains("stopped"))
        lease.cancel()
    }
}

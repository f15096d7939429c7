import BatonHTTP
import BatonTestSupport
import Foundation
import Testing

/// `baton serve` as an operator runs it: a free port, a real socket, SIGTERM to stop.
@Suite struct ServeCommandTests {
    static func temporaryDataDir() -> String {
        NSTemporaryDirectory() + "baton-serve-\(UUID().uuidString)"
    }

    @Test func servesHealthAndStopsCleanlyOnSIGTERM() async throws {
        let dir = Self.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let baton = try RunningBaton(["serve", "--local-workers", "0", "--port", "0", "--data-dir", dir])
        let port = try #require(await baton.waitForPort(), "serve did not report a port: \(baton.errors)")

        let client = HTTPClient()
        let health = try await client.execute(HTTPClientRequest(method: .get, url: "http://127.0.0.1:\(port)/health"))
        #expect(health.status == 200)
        #expect(health.text.contains(#""status":"ok""#))
        #expect(health.headers["Content-Type"] == "application/json")
        // The first start made an admin key, printed it once and saved it for the operator.
        let adminKey = try String(contentsOfFile: dir + "/admin.key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(baton.output.contains(adminKey))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/admin.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let anonymous = try await client.execute(
            HTTPClientRequest(method: .get, url: "http://127.0.0.1:\(port)/metrics"))
        #expect(anonymous.status == 401)
        let metrics = try await client.execute(
            HTTPClientRequest(
                method: .get, url: "http://127.0.0.1:\(port)/metrics", headers: ["Authorization": "Bearer \(adminKey)"])
        )
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("baton_http_connections "))
        #expect(metrics.text.contains(#"baton_http_requests_total{method="GET",route="/health",status="200"} 1"#))
        #expect(metrics.text.contains(#"baton_http_requests_total{method="GET",route="/metrics",status="401"} 1"#))
        // The access log names the request.
        #expect(await eventually { baton.errors.contains("GET /health 200") })

        #expect(await baton.stop(signal: SIGTERM) == 0)
        #expect(baton.errors.contains("shutting down"))
        #expect(baton.errors.contains("stopped"))
        #expect(FileManager.default.fileExists(atPath: dir + "/baton.db"))
        client.shutdown()
    }

    @Test func sigintAlsoStopsGracefully() async throws {
        let dir = Self.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let baton = try RunningBaton([
            "serve", "--local-workers", "0", "--port", "0", "--data-dir", dir, "--no-access-log",
        ])
        #expect(await baton.waitForPort() != nil)
        #expect(await baton.stop(signal: SIGINT) == 0)
    }

    @Test func aPortInUseFailsWithOneLineAndStatus1() async throws {
        let dir = Self.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let first = try RunningBaton([
            "serve", "--local-workers", "0", "--port", "0", "--data-dir", dir + "-a", "--no-access-log",
        ])

        let port = try #require(await first.waitForPort())
        let second = try await BatonBinary.run(["serve", "--port", String(port), "--data-dir", dir])
        #expect(second.status == 1)
        #expect(second.stderr.hasPrefix("baton: cannot listen on 127.0.0.1:\(port)"))
        #expect(second.stderr.split(separator: "\n").count == 1)
        #expect(await first.stop() == 0)
        removeDataDirectory(dir + "-a")
    }
}

import BatonHTTP
import BatonTestSupport
import Foundation
import Testing

/// Configuration as an operator meets it: a file, the environment, and an overlay that survives a
/// restart of `baton serve`.
@Suite struct ServeConfigTests {
    static func dataDir() -> String { NSTemporaryDirectory() + "baton-config-\(UUID().uuidString)" }

    @Test func theOverlaySurvivesARestart() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        let client = HTTPClient()
        defer { client.shutdown() }
        let first = try RunningBaton([
            "serve", "--local-workers", "0", "--port", "0", "--data-dir", dir, "--no-access-log",
        ])
        let port = try #require(await first.waitForPort())
        let key = try String(contentsOfFile: dir + "/admin.key", encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let put = try await client.execute(
            HTTPClientRequest(
                method: .put, url: "http://127.0.0.1:\(port)/api/v1/config/overlay",
                headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"],
                body: Array(#"{"server":{"public_metrics":true},"agent":{"max_turns":42}}"#.utf8)))
        #expect(put.status == 200)
        let secret = try await client.execute(
            HTTPClientRequest(
                method: .post, url: "http://127.0.0.1:\(port)/api/v1/secrets/linear_api_key",
                headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"],
                body: Array(#"{"value":"lin_api_restart"}"#.utf8)))
        #expect(secret.status == 204)
        #expect(await first.stop() == 0)

        let second = try RunningBaton([
            "serve", "--local-workers", "0", "--port", "0", "--data-dir", dir, "--no-access-log",
        ])
        let port2 = try #require(await second.waitForPort())
        let metrics = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port2)/metrics"))
        #expect(metrics.status == 200)
        let config = try await client.execute(
            HTTPClientRequest(
                url: "http://127.0.0.1:\(port2)/api/v1/config", headers: ["Authorization": "Bearer \(key)"]))
        #expect(config.text.contains("\"max_turns\": 42"))
        let secrets = try await client.execute(
            HTTPClientRequest(
                url: "http://127.0.0.1:\(port2)/api/v1/secrets", headers: ["Authorization": "Bearer \(key)"]))
        #expect(secrets.text.contains("\"name\":\"linear_api_key\""))
        #expect(await second.stop() == 0)
    }

    @Test func fileAndEnvironmentLayersAreCheckedAtStart() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        let missing = try await BatonBinary.run(["serve", "--config", dir + "/nope.json", "--data-dir", dir])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("does not exist"))

        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(#"{"server":{"port":"eighty"}}"#.utf8).write(to: URL(fileURLWithPath: dir + "/bad.json"))
        let bad = try await BatonBinary.run(["serve", "--config", dir + "/bad.json", "--data-dir", dir])
        #expect(bad.status == 1)
        #expect(
            bad.stderr == "baton: configuration file \(dir)/bad.json: /server/port: expected an integer, got string\n")

        let env = try await BatonBinary.run(["serve", "--data-dir", dir], environment: ["BATON_SERVER__PORT": "http"])
        #expect(env.status == 1)
        #expect(env.stderr.contains("BATON_SERVER__PORT: expected an integer"))
    }

    @Test func theEnvironmentSetsTheListeningPort() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        // Port 0 through the environment: the server picks one and says which.
        let baton = try RunningBaton(
            ["serve", "--data-dir", dir, "--no-access-log"], environment: ["BATON_SERVER__PORT": "0"])
        #expect(await baton.waitForPort() != nil)
        #expect(await baton.stop() == 0)
    }

    @Test func rateLimitsComeFromConfiguration() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        let baton = try RunningBaton(
            ["serve", "--port", "0", "--data-dir", dir, "--no-access-log"],
            environment: ["BATON_SERVER__RATE_LIMITS__READ": "2"])
        let port = try #require(await baton.waitForPort())
        let key = try String(contentsOfFile: dir + "/admin.key", encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let client = HTTPClient()
        var statuses: [Int] = []
        for _ in 0..<3 {
            let r = try await client.execute(
                HTTPClientRequest(
                    url: "http://127.0.0.1:\(port)/api/v1/runtime", headers: ["Authorization": "Bearer \(key)"]))
            statuses.append(r.status)
        }
        client.shutdown()
        #expect(statuses == [200, 200, 429])
        #expect(await baton.stop() == 0)
    }

    @Test func connectionLimitsComeFromConfiguration() async throws {
        let dir = Self.dataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The idle connection sends nothing until the slow one has been answered: the header
        // timeout (10 s by default) must not close it first on a loaded machine, so it is long.
        let baton = try RunningBaton(
            ["serve", "--port", "0", "--data-dir", dir, "--no-access-log", "--local-workers", "0"],
            environment: [
                "BATON_SERVER__BODY_TIMEOUT_S": "1", "BATON_SERVER__MAX_CONNECTIONS_PER_SOURCE": "2",
                "BATON_SERVER__HEADER_TIMEOUT_S": "600",
            ])
        let port = try #require(await baton.waitForPort())
        let key = try String(contentsOfFile: dir + "/admin.key", encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        var text = ""
        do {
            // A body that never ends, and a second connection: all this address may hold.
            let slow = try RawConnection(port: port)
            try slow.send("POST /api/v1/jobs HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{")
            let idle = try RawConnection(port: port)
            let third = try RawConnection(port: port)
            // Generous waits: they end as soon as the answer is in, and bound only a hang.
            #expect(await third.awaitEOF(timeoutMs: 60_000))
            #expect(third.text.hasPrefix("HTTP/1.1 503 "))
            #expect(third.text.contains("too_many_connections"))
            #expect(await slow.awaitText(timeoutMs: 60_000) { $0.contains("}") })
            #expect(slow.text.hasPrefix("HTTP/1.1 408 "))
            // The counts, read over the connection this address still holds: a new one could
            // reach the server before it has seen the others close (on another event loop) and
            // be refused too.
            try idle.send(
                "GET /metrics HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(key)\r\nConnection: close\r\n\r\n")
            #expect(await idle.awaitEOF(timeoutMs: 60_000))
            text = idle.text
        }
        #expect(text.hasPrefix("HTTP/1.1 200 "))
        #expect(text.contains("baton_http_body_timeouts_total 1\n"))
        #expect(text.contains("baton_http_source_refusals_total 1\n"))
        #expect(text.contains("baton_http_capacity_refusals_total 0\n"))
        #expect(await baton.stop() == 0)
    }
}

import BatonHTTP
import BatonTestSupport
import Foundation
import Testing

/// `server.event_loops` reaches the HTTP server (SPEC §2.1): `/metrics` shows one
/// `baton_http_loop_connections` sample per loop; a count out of range stops `baton serve`.
@Suite struct ServeCommandEventLoopsTests {
    /// The `loop` labels of `baton_http_loop_connections` in a metrics text.
    static func loopLabels(_ metrics: String) -> [String] {
        metrics.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("baton_http_loop_connections{loop=\"") else { return nil }
            return String(line.dropFirst("baton_http_loop_connections{loop=\"".count).prefix { $0 != "\"" })
        }
    }

    @Test func theConfiguredCountOfLoopsServes() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let baton = try RunningBaton(
            ["serve", "--local-workers", "0", "--port", "0", "--data-dir", dir, "--no-access-log"],
            environment: ["BATON_SERVER__EVENT_LOOPS": "3"])
        let port = try #require(await baton.waitForPort(), "serve did not report a port: \(baton.errors)")
        let key = try String(contentsOfFile: dir + "/admin.key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let client = HTTPClient()
        let metrics = try await client.execute(
            HTTPClientRequest(
                method: .get, url: "http://127.0.0.1:\(port)/metrics", headers: ["Authorization": "Bearer \(key)"]))
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("# TYPE baton_http_loop_connections gauge\n"))
        #expect(Self.loopLabels(metrics.text) == ["0", "1", "2"])
        client.shutdown()
        #expect(await baton.stop() == 0)
    }

    @Test(arguments: [
        ("0", "/server/event_loops: must be at least 1"), ("257", "/server/event_loops: must be at most 256"),
        ("two", "BATON_SERVER__EVENT_LOOPS: expected an integer"),
    ])
    func aCountOutOfRangeStopsTheStart(value: String, message: String) async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let result = try await BatonBinary.run(
            ["serve", "--local-workers", "0", "--port", "0", "--data-dir", dir],
            environment: ["BATON_SERVER__EVENT_LOOPS": value])
        #expect(result.status == 1)
        #expect(result.stderr.contains(message))
        #expect(!result.stdout.contains("listening on"))
    }
}

import BatonCore
import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

@testable import BatonAPI

@Suite struct ConfigRoutesTests {
    static let json: HTTPHeaders = ["Content-Type": "application/json"]

    static func overlayFile(_ c: TestCoordinator) -> Data? {
        FileManager.default.contents(atPath: c.directory + "/overlay.json")
    }

    @Test func effectiveConfigShowsSecretReferencesAsWritten() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let config = try JSONParser.parse(await c.request(.get, "/api/v1/config").bodyText)
        #expect(config["tracker"]?["api_key"] == "$secret:linear_api_key")
        #expect(config["server"]?["port"] == 4000)
        let schema = try JSONParser.parse(await c.request(.get, "/api/v1/config/schema").bodyText)
        #expect(schema["schema"]?["properties"]?["router"] != nil)
        #expect(schema["examples"]?.arrayValue?.isEmpty == false)
    }

    @Test func sourcesNameEachValuesLayerAndATenantSeesOnlyItsView() async throws {
        let c = try await TestCoordinator.make(configFile: ["server": ["host": "127.0.0.2"]])
        defer { c.close() }
        let put = await c.request(
            .put, "/api/v1/config/overlay", headers: ["Content-Type": "application/json"],
            body: #"{"agent":{"max_turns":7}}"#)
        #expect(put.status == .ok, "\(put.bodyText)")
        let sources = await c.request(.get, "/api/v1/config/sources").json["sources"]
        #expect(sources?["server.host"] == "file" && sources?["agent.max_turns"] == "overlay")
        #expect(sources?["server.port"] == "default")
        // Another tenant's key is told about the values its view shows, and no others.
        let other = await c.request(.get, "/api/v1/config/sources", key: try c.makeKey(.viewer, tenant: "acme"))
        let view = await c.request(.get, "/api/v1/config", key: try c.makeKey(.viewer, tenant: "acme")).json
        let named = other.json["sources"]?.objectValue ?? [:]
        #expect(!named.isEmpty)
        for path in named.keys {
            #expect(view.value(at: path.split(separator: ".").map(String.init)) != nil, "\(path) is not in the view")
        }
    }

    @Test func anOverlayChangeAppliesWithoutARestart() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        #expect(await c.request(.get, "/metrics", anonymous: true).status == .unauthorized)
        let put = await c.request(
            .put, "/api/v1/config/overlay", headers: Self.json, body: #"{"server":{"public_metrics":true}}"#)
        #expect(put.status == .ok)
        #expect(await c.request(.get, "/metrics", anonymous: true).status == .ok)
        #expect(
            try JSONParser.parse(await c.request(.get, "/api/v1/config/overlay").bodyText) == [
                "server": ["public_metrics": true]
            ])
        let events = try c.database.readBlocking {
            try $0.query("SELECT data FROM events WHERE type = 'config.changed'").compactMap { $0.string("data") }
        }
        #expect(events == [#"{"paths":["server.public_metrics"]}"#])
        #expect(await c.request(.delete, "/api/v1/config/overlay/server.public_metrics").status == .noContent)
        #expect(await c.request(.get, "/metrics", anonymous: true).status == .unauthorized)
        #expect(await c.request(.delete, "/api/v1/config/overlay/server.public_metrics").status == .notFound)
    }

    @Test func anInvalidOverlayListsEveryProblemAndChangesNothing() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = await c.request(.put, "/api/v1/config/overlay", headers: Self.json, body: #"{"agent":{"max_turns":30}}"#)
        let fileBefore = Self.overlayFile(c)
        let configBefore = await c.request(.get, "/api/v1/config").bodyText
        let response = await c.request(
            .put, "/api/v1/config/overlay", headers: Self.json,
            body: #"{"agent":{"max_turns":"many","speed":9},"server":{"port":-1}}"#)
        #expect(response.status == .badRequest)
        let body = try JSONParser.parse(response.bodyText)
        #expect(
            body["details"] == [
                "/agent/max_turns": "expected an integer, got string", "/agent/speed": "unknown key",
                "/server/port": "must be at least 0",
            ])
        #expect(Self.overlayFile(c) == fileBefore)
        #expect(await c.request(.get, "/api/v1/config").bodyText == configBefore)
    }

    @Test(arguments: [
        ("text/plain", #"{"agent":{}}"#, 415), ("application/json", "[]", 400), ("application/json", "{", 400),
        ("application/json", #"{"a":1,"a":2}"#, 400),
        ("application/json", String(repeating: #"{"a":"#, count: 64) + "1" + String(repeating: "}", count: 64), 400),
    ])
    func malformedOverlaysAreRefused(contentType: String, body: String, status: Int) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(
            .put, "/api/v1/config/overlay", headers: ["Content-Type": contentType], body: body)
        #expect(response.status.code == status)
        #expect(Self.overlayFile(c) == nil)
    }

    @Test func aFiveMegabyteOverlayIsRefusedBeforeItIsRead() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let connection = try RawConnection(port: port)
        try connection.send(
            "PUT /api/v1/config/overlay HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(c.adminKey)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n")
        #expect(await connection.awaitText { $0.contains("\r\n\r\n") })
        #expect(connection.text.hasPrefix("HTTP/1.1 413"))
        #expect(Self.overlayFile(c) == nil)
        await server.shutdown()
    }

    @Test(arguments: ["a..b", "__proto__", "agent.__proto__", ".agent", "agent.", "a%20b"])
    func badDottedPathsAre400(path: String) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        #expect(await c.request(.delete, "/api/v1/config/overlay/\(path)").status == .badRequest)
    }

    @Test func onlyAdminsChangeTheOverlay() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let op = try c.makeKey(.operator)
        #expect(
            await c.request(.put, "/api/v1/config/overlay", headers: Self.json, body: "{}", key: op).status
                == .forbidden)
        #expect(await c.request(.get, "/api/v1/config", key: op).status == .ok)
        #expect(Self.overlayFile(c) == nil)
    }

    @Test func runtimeReportsVersionDirectoryAndFeatures() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let runtime = try JSONParser.parse(await c.request(.get, "/api/v1/runtime").bodyText)
        #expect(runtime["version"] == "0.1.0")
        #expect(runtime["data_dir"] == .string(c.directory))
        #expect(runtime["features"]?["tracker_kind"] == "local")
        #expect(runtime["uptime_s"]?.intValue != nil)
        // What this machine can contain agents with.
        #expect(runtime["sandbox"]?["mode"] == "landlock" && runtime["sandbox"]?["enforced"] == true)
        #expect((runtime["sandbox"]?["landlock_abi"]?.intValue ?? 0) >= 1)
        _ = try c.config.replaceOverlay(["sandbox": ["mode": "off"]])
        let off = try JSONParser.parse(await c.request(.get, "/api/v1/runtime").bodyText)
        #expect(off["sandbox"]?["mode"] == "off" && off["sandbox"]?["enforced"] == false)
    }
}

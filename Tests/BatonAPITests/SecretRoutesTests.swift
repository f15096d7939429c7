import BatonCore
import BatonHTTP
import BatonJSON
import Foundation
import Testing

@testable import BatonAPI

@Suite struct SecretRoutesTests {
    static let json: HTTPHeaders = ["Content-Type": "application/json"]

    static func secretRows(_ c: TestCoordinator) throws -> [String] {
        try c.database.readBlocking { conn in
            try conn.query("SELECT tenant, name, hex(ciphertext) AS c FROM secrets ORDER BY tenant, name").map {
                "\($0["tenant"])|\($0["name"])|\($0["c"])"
            }
        }
    }

    @Test func storeListDelete() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let stored = await c.request(
            .post, "/api/v1/secrets/linear_api_key", headers: Self.json, body: #"{"value":"lin_1"}"#)
        #expect(stored.status == .noContent)
        #expect(try await c.vault.value(tenant: "default", name: "linear_api_key") == "lin_1")
        let list = try JSONParser.parse(await c.request(.get, "/api/v1/secrets").bodyText)
        #expect(list["total"] == 1)
        #expect(list["secrets"]?.arrayValue?.first?["name"] == "linear_api_key")
        #expect(list["secrets"]?.arrayValue?.first?["value"] == nil)
        #expect(await c.request(.delete, "/api/v1/secrets/linear_api_key").status == .noContent)
        #expect(await c.request(.delete, "/api/v1/secrets/linear_api_key").status == .notFound)
    }

    @Test(arguments: [
        ("/api/v1/secrets/..%2Fx", "application/json", #"{"value":"x"}"#, 400),
        ("/api/v1/secrets/%2E%2E", "application/json", #"{"value":"x"}"#, 400),
        ("/api/v1/secrets/" + String(repeating: "n", count: 129), "application/json", #"{"value":"x"}"#, 400),
        ("/api/v1/secrets/ok", "text/plain", #"{"value":"x"}"#, 415),
        ("/api/v1/secrets/ok", "application/json", #"{"value":7}"#, 400),
        ("/api/v1/secrets/ok", "application/json", #"{}"#, 400),
        ("/api/v1/secrets/ok", "application/json", #"{"value":"x","extra":1}"#, 400),
        ("/api/v1/secrets/ok", "application/json", "[\"x\"]", 400),
        ("/api/v1/secrets/ok", "application/json", "{\"value\":", 400),
    ])
    func badWritesAreRefusedAndChangeNothing(target: String, contentType: String, body: String, status: Int)
        async throws
    {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let before = try Self.secretRows(c)
        let response = await c.request(.post, target, headers: ["Content-Type": contentType], body: body)
        #expect(response.status.code == status, "\(target) \(body): \(response.bodyText)")
        #expect(try Self.secretRows(c) == before)
    }

    @Test func viewersMayListButNotWriteAndTenantsAreSeparate() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = await c.request(.post, "/api/v1/secrets/a", headers: Self.json, body: #"{"value":"x"}"#)
        let viewer = try c.makeKey(.viewer)
        let before = try Self.secretRows(c)
        #expect(
            await c.request(.post, "/api/v1/secrets/a", headers: Self.json, body: #"{"value":"y"}"#, key: viewer).status
                == .forbidden)
        #expect(await c.request(.delete, "/api/v1/secrets/a", key: viewer).status == .forbidden)
        #expect(
            await c.request(.post, "/api/v1/secrets/a", headers: Self.json, body: #"{"value":"y"}"#, anonymous: true)
                .status == .unauthorized)
        #expect(try Self.secretRows(c) == before)
        #expect(await c.request(.get, "/api/v1/secrets", key: viewer).status == .ok)
        let acme = try c.makeKey(.operator, tenant: "acme")
        #expect(try JSONParser.parse(await c.request(.get, "/api/v1/secrets", key: acme).bodyText)["total"] == 0)
        #expect(await c.request(.delete, "/api/v1/secrets/a", key: acme).status == .notFound)
        #expect(try Self.secretRows(c) == before)
    }

    /// A known value goes in through the API; afterwards it is nowhere on disk, in no response,
    /// in no log line and in no event.
    @Test func thePlaintextAppearsNowhere() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let plaintext = "sk-test-PLAINTEXT-7f3a9"
        var bodies: [String] = []
        func call(_ method: HTTPMethod, _ target: String, _ body: String = "") async {
            let r = await c.request(method, target, headers: Self.json, body: body)
            bodies.append(r.bodyText + r.headers.map { "\($0.name): \($0.value)" }.joined())
        }
        await call(.post, "/api/v1/secrets/openai_key", #"{"value":"\#(plaintext)"}"#)
        await call(.post, "/api/v1/secrets/openai_key", #"{"value":"\#(plaintext)"}"#)
        await call(.get, "/api/v1/secrets")
        await call(.post, "/api/v1/secrets/bad%20name", #"{"value":"\#(plaintext)"}"#)
        await call(.post, "/api/v1/secrets/other", #"{"value":"\#(plaintext)","x":1}"#)
        await call(
            .put, "/api/v1/config/overlay",
            #"{"providers":{"openai":{"kind":"openai","api_key":"$secret:openai_key"}}}"#)
        await call(.get, "/api/v1/config")
        await call(.get, "/api/v1/config/overlay")
        await call(.get, "/api/v1/config/schema")
        await call(.delete, "/api/v1/config/overlay/providers.openai.api_key")
        // Pasting the value itself into a key field is refused by nobody, but the audit redacts it.
        await call(
            .put, "/api/v1/config/overlay", #"{"providers":{"openai":{"kind":"openai","api_key":"\#(plaintext)"}}}"#)
        await call(.put, "/api/v1/config/overlay", "{}")
        await call(.get, "/api/v1/runtime")
        await call(.get, "/api/v1/audit")
        await call(.get, "/api/v1/events?last_event_id=0")
        await call(.get, "/metrics")
        await call(.delete, "/api/v1/secrets/openai_key")
        #expect(try await c.vault.list(tenant: "default").isEmpty)
        await call(.post, "/api/v1/secrets/openai_key", #"{"value":"\#(plaintext)"}"#)
        #expect(try await c.vault.value(tenant: "default", name: "openai_key") == plaintext)

        for body in bodies { #expect(!body.contains(plaintext)) }
        for line in c.logLines.all { #expect(!line.contains(plaintext)) }
        let events = try c.database.readBlocking {
            try $0.query("SELECT data FROM events").compactMap { $0.string("data") }
        }
        for data in events { #expect(!data.contains(plaintext)) }
        let needle = Data(plaintext.utf8)
        for file in try FileManager.default.contentsOfDirectory(atPath: c.directory) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: c.directory + "/" + file))
            #expect(bytes.range(of: needle) == nil, "plaintext found in \(file)")
        }
    }
}

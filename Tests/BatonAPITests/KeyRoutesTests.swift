import BatonCore
import BatonHTTP
import BatonJSON
import Testing

@testable import BatonAPI

@Suite struct KeyRoutesTests {
    static let json: HTTPHeaders = ["Content-Type": "application/json"]

    static func object(_ response: HTTPResponse) throws -> [String: JSONValue] {
        try #require(try JSONParser.parse(response.bodyText).objectValue)
    }

    @Test func createShowsTheKeyOnceAndItWorks() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(
            .post, "/api/v1/keys", headers: Self.json, body: #"{"name":"ci bot","role":"operator"}"#)
        #expect(response.status == .created)
        let body = try Self.object(response)
        let key = try #require(body["key"]?.stringValue)
        #expect(body["role"] == "operator")
        #expect(body["tenant"] == "default")
        #expect(body["name"] == "ci bot")
        #expect(body["revoked_at"] == .null)
        #expect(await c.request(.get, "/metrics", key: key).status == .ok)
        // The list never shows the secret or its hash.
        let list = await c.request(.get, "/api/v1/keys")
        #expect(list.status == .ok)
        #expect(!list.bodyText.contains(APIKeyToken(parsing: key)!.secret))
        #expect(!list.bodyText.contains("hash"))
        #expect(try Self.object(list)["total"] == 2)
    }

    @Test func theDatabaseHoldsNoSecret() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let secret = APIKeyToken(parsing: c.adminKey)!.secret
        let dump = try c.keyRows().joined()
        #expect(!dump.contains(secret))
    }

    @Test(arguments: [
        ("text/plain", #"{"name":"x","role":"viewer"}"#, 415),
        ("application/json", "not json", 400),
        ("application/json", "[]", 400),
        ("application/json", #"{"name":"x"}"#, 400),
        ("application/json", #"{"role":"viewer"}"#, 400),
        ("application/json", #"{"name":"x","role":"root"}"#, 400),
        ("application/json", #"{"name":"","role":"viewer"}"#, 400),
        ("application/json", #"{"name":"\#(String(repeating: "n", count: 101))","role":"viewer"}"#, 400),
        ("application/json", #"{"name":"x","role":"viewer","admin":true}"#, 400),
        ("application/json", #"{"name":7,"role":"viewer"}"#, 400),
        ("application/json", #"{"name":"x","role":"viewer","tenant":"other"}"#, 403),
        ("application/json", #"{"name":"x","role":"viewer","name":"y"}"#, 400),
    ])
    func badCreationsAreRefusedAndChangeNothing(contentType: String, body: String, status: Int) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let before = try c.keyRows()
        let response = await c.request(.post, "/api/v1/keys", headers: ["Content-Type": contentType], body: body)
        #expect(response.status.code == status, "\(body): \(response.bodyText)")
        #expect(try c.keyRows() == before)
    }

    @Test func nonAdminsMayNotManageKeys() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let op = try c.makeKey(.operator)
        let before = try c.keyRows()
        let response = await c.request(
            .post, "/api/v1/keys", headers: Self.json, body: #"{"name":"x","role":"admin"}"#, key: op)
        #expect(response.status == .forbidden)
        #expect(try c.keyRows() == before)
    }

    @Test func revokeThenTheKeyStopsWorking() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let viewer = try c.makeKey(.viewer)
        let id = APIKeyToken(parsing: viewer)!.id
        #expect(await c.request(.delete, "/api/v1/keys/\(id)").status == .noContent)
        #expect(await c.request(.get, "/metrics", key: viewer).status == .unauthorized)
        // A second revoke finds no active key.
        #expect(await c.request(.delete, "/api/v1/keys/\(id)").status == .notFound)
        #expect(await c.request(.delete, "/api/v1/keys/nosuchid").status == .notFound)
        #expect(await c.request(.delete, "/api/v1/keys/..%2F..").status == .notFound)
    }

    @Test func theLastAdminCannotBeRevoked() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let id = APIKeyToken(parsing: c.adminKey)!.id
        let before = try c.keyRows()
        let response = await c.request(.delete, "/api/v1/keys/\(id)")
        #expect(response.status == .conflict)
        #expect(try c.keyRows() == before)
        let second = try c.makeKey(.admin)
        #expect(await c.request(.delete, "/api/v1/keys/\(id)", key: second).status == .noContent)
    }

    @Test func tenantsAreIsolated() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let otherAdmin = try c.makeKey(.admin, tenant: "acme")
        let list = try Self.object(await c.request(.get, "/api/v1/keys", key: otherAdmin))
        #expect(list["total"] == 1)
        // Another tenant's key id answers 404, as if it did not exist.
        let id = APIKeyToken(parsing: c.adminKey)!.id
        let before = try c.keyRows()
        #expect(await c.request(.delete, "/api/v1/keys/\(id)", key: otherAdmin).status == .notFound)
        #expect(try c.keyRows() == before)
    }

    @Test func listPaginatesAndRefusesBadParameters() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        for i in 0..<4 { _ = try c.makeKey(.viewer, name: "k\(i)") }
        let page = try Self.object(await c.request(.get, "/api/v1/keys?limit=2&offset=1"))
        #expect(page["keys"]?.arrayValue?.count == 2)
        #expect(page["total"] == 5 && page["limit"] == 2 && page["offset"] == 1)
        for bad in ["limit=0", "limit=501", "limit=x", "offset=-1"] {
            #expect(await c.request(.get, "/api/v1/keys?\(bad)").status == .badRequest, "\(bad)")
        }
    }
}

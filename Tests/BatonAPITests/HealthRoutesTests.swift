import BatonHTTP
import Testing

@testable import BatonAPI

@Suite struct HealthRoutesTests {
    @Test func answersOkWithNodeAndVersion() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(.get, "/health")
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.bodyText == #"{"status":"ok","node":{"name":"test-node","os":"linux"},"version":"0.1.0"}"#)
        #expect(response.headers["X-Request-Id"]?.isEmpty == false)
    }

    @Test func echoesTheClientsRequestID() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(.get, "/health", headers: ["X-Request-Id": "abc-123"])
        #expect(response.headers["X-Request-Id"] == "abc-123")
    }

    @Test func otherMethodsAre405WithAllow() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(.post, "/health", body: "{}")
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"]?.contains("GET") == true)
        #expect(response.bodyText.contains(#""code":"method_not_allowed""#))
        // The refused attempt is audited (one audit.appended event) and changes nothing else.
        #expect(try c.eventCount() == 1)
        #expect(try c.auditActions() == ["POST <unmatched>"])
    }

    @Test func unknownPathsAre404InTheErrorShape() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(.get, "/nope")
        #expect(response.status == .notFound)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.bodyText.contains(#""code":"not_found""#))
    }

    @Test func accessLogHasOneLinePerRequest() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = await c.request(.get, "/health", headers: ["X-Request-Id": "r-1"])
        _ = await c.request(.get, "/missing")
        let lines = c.logLines.all
        #expect(lines.count == 2)
        #expect(lines[0].contains("GET /health 200") && lines[0].contains("r-1"))
        #expect(lines[1].contains("GET /missing 404"))
    }
}

import BatonCore
import BatonHTTP
import BatonJSON
import Testing

@testable import BatonAPI

@Suite struct AuditRoutesTests {
    @Test func changesAreAuditedWithActorStatusAndRedactedBody() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let created = await c.request(
            .post, "/api/v1/keys", headers: ["Content-Type": "application/json", "X-Request-Id": "req-9"],
            body: #"{"name":"bot","role":"viewer"}"#)
        #expect(created.status == .created)
        _ = await c.request(.get, "/metrics")
        let list = try #require(try JSONParser.parse(await c.request(.get, "/api/v1/audit").bodyText).objectValue)
        let entries = try #require(list["entries"]?.arrayValue)
        #expect(entries.count == 1)
        let entry = entries[0]
        #expect(entry["action"] == "POST /api/v1/keys")
        #expect(entry["status"] == 201)
        #expect(entry["request_id"] == "req-9")
        #expect(entry["actor"] == .string("key:\(APIKeyToken(parsing: c.adminKey)!.id)"))
        #expect(entry["actor_name"] == "bootstrap-admin")
        #expect(entry["tenant"] == "default")
        #expect(entry["diff"]?["body"]?["name"] == "bot")
        // The new key is in the answer, never in the audit log.
        let key = try #require(try JSONParser.parse(created.bodyText)["key"]?.stringValue)
        #expect(!(await c.request(.get, "/api/v1/audit").bodyText.contains(key)))
    }

    @Test func refusedAttemptsAreAuditedAsAnonymous() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = await c.request(.post, "/api/v1/keys", body: "{}", anonymous: true)
        #expect(try c.auditActions() == ["POST /api/v1/keys"])
        let entries = try #require(
            try JSONParser.parse(await c.request(.get, "/api/v1/audit?actor=anonymous").bodyText)["total"])
        // Anonymous entries carry no tenant, so a tenant's listing does not show them.
        #expect(entries == 0)
    }

    @Test func filtersAndBadParameters() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        for name in ["a", "b"] {
            _ = await c.request(
                .post, "/api/v1/keys", headers: ["Content-Type": "application/json"],
                body: #"{"name":"\#(name)","role":"viewer"}"#)
        }
        let byAction = try JSONParser.parse(
            await c.request(.get, "/api/v1/audit?action=POST%20%2Fapi%2Fv1%2Fkeys&limit=1").bodyText)
        #expect(byAction["total"] == 2)
        #expect(byAction["entries"]?.arrayValue?.count == 1)
        let future = try JSONParser.parse(await c.request(.get, "/api/v1/audit?since=2999-01-01T00:00:00Z").bodyText)
        #expect(future["total"] == 0)
        let before = try c.auditActions()
        for bad in [
            "since=yesterday", "until=2026-13-01", "limit=9999", "offset=x", "since=2026-11-22T10:00:00+02:00",
            "until=2026-13-01T00:00:00Z", "since=2026-02-30T10:00:00.000Z", "until=2026-11-22T24:00:00Z",
        ] {
            #expect(await c.request(.get, "/api/v1/audit?\(bad)").status == .badRequest, "\(bad)")
        }
        #expect(try c.auditActions() == before)
    }

    @Test func otherTenantsEntriesAreNotShown() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = await c.request(
            .post, "/api/v1/keys", headers: ["Content-Type": "application/json"], body: #"{"name":"a","role":"viewer"}"#
        )
        let acme = try c.makeKey(.viewer, tenant: "acme")
        #expect(try JSONParser.parse(await c.request(.get, "/api/v1/audit", key: acme).bodyText)["total"] == 0)
    }

    @Test func noRouteEditsOrDeletesTheLog() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        #expect(await c.request(.delete, "/api/v1/audit").status == .methodNotAllowed)
        #expect(await c.request(.put, "/api/v1/audit").status == .methodNotAllowed)
    }
}

extension AuditRoutesTests {
    /// `GET /api/v1/audit/verify`: what `baton audit verify` says, for a system tenant's admin only.
    @Test func theChainIsVerifiedOverHTTPForTheSystemTenantsAdmin() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        for _ in 0..<3 {
            _ = await c.request(
                .post, "/api/v1/keys", headers: ["Content-Type": "application/json"],
                body: #"{"name":"x","role":"viewer"}"#)
        }
        let intact = await c.request(.get, "/api/v1/audit/verify")
        #expect(intact.status == .ok)
        #expect(intact.json["intact"] == true && intact.json["entries"] == 3 && intact.json["anchor"] == .null)
        // Someone went around the triggers.
        try c.database.writeBlocking { conn in
            try conn.execute("DROP TRIGGER audit_no_update")
            try conn.execute("UPDATE audit SET target = 'edited' WHERE id = 2")
        }
        let broken = await c.request(.get, "/api/v1/audit/verify")
        #expect(broken.json["intact"] == false && broken.json["entry_id"] == 2)
        // An operator, and an admin of another tenant, may not walk every tenant's chain.
        #expect(await c.request(.get, "/api/v1/audit/verify", key: try c.makeKey(.operator)).status == .forbidden)
        let other = try c.makeKey(.admin, tenant: "acme")
        #expect(await c.request(.get, "/api/v1/audit/verify", key: other).status == .forbidden)
    }
}

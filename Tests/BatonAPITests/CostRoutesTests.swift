import BatonCore
import BatonHTTP
import BatonJSON
import Testing

@testable import BatonAPI

/// `GET /api/cost/daily` (SPEC §6.15): the ledger per UTC day, every day of the window present.
@Suite struct CostRoutesTests {
    @Test func spendIsSummedPerDayWithEveryDayOfTheWindow() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w1", provider: "dry-run")
        _ = await c.createJob(#"{"prompt":"p","provider":"dry-run"}"#)
        let (id, token) = try #require(await c.lease("w1"))
        let done = await c.complete(id, token: token, extra: #","cost_usd":1.25,"tokens":{"input":10,"output":4}"#)
        #expect(done.status == .ok, "\(done.bodyText)")
        let daily = await c.request(.get, "/api/cost/daily?days=3")
        #expect(daily.status == .ok)
        let days = try #require(daily.json["days"]?.arrayValue)
        #expect(days.count == 3)
        #expect(days.map { $0["jobs"] } == [0, 0, 1])
        #expect(days.last?["total_usd"] == 1.25 && days.last?["tokens"]?["output"] == 4)
        let today = String(Timestamp.format(milliseconds: c.dispatcher.now).prefix(10))
        #expect(days.last?["date"]?.stringValue == today)
        #expect(await c.request(.get, "/api/cost/daily").json["days"]?.arrayValue?.count == 14)
        // Another tenant's key sees its own ledger: nothing.
        let other = await c.request(.get, "/api/cost/daily?days=1", key: try c.makeKey(.viewer, tenant: "acme"))
        #expect(other.json["days"]?[0]?["jobs"] == 0)
    }

    @Test(arguments: ["0", "367", "x", "1.5", "-1", "99999999999999999999"])
    func aBadWindowIsRefused(days: String) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(.get, "/api/cost/daily?days=\(days)")
        #expect(response.status == .badRequest)
        #expect(response.bodyText.contains("days must be"))
    }

    /// Every tenant's spend, for keys of the system tenant only.
    @Test func everyTenantsSpendIsForTheSystemTenant() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w1", provider: "dry-run")
        _ = await c.createJob(#"{"prompt":"p","provider":"dry-run"}"#)
        let (id, token) = try #require(await c.lease("w1"))
        _ = await c.complete(id, token: token, extra: #","cost_usd":2"#)
        let all = await c.request(.get, "/api/cost/tenants?period=month", key: try c.makeKey(.viewer))
        #expect(all.status == .ok)
        #expect(all.json["items"]?[0]?["tenant"] == "default" && all.json["items"]?[0]?["total_usd"] == 2.0)
        let other = await c.request(.get, "/api/cost/tenants", key: try c.makeKey(.admin, tenant: "acme"))
        #expect(other.status == .forbidden)
        #expect(await c.request(.get, "/api/cost/tenants?period=year").status == .badRequest)
    }
}

import BatonCore
import BatonHTTP
import BatonJSON
import BatonJobs

/// `/api/cost/*`: the tenant's cost ledger summed over a UTC calendar period.
enum CostRoutes {
    static func register(on router: RouterBuilder, dispatcher: Dispatcher) {
        router.get("/api/cost/summary") { request, context in
            let principal = try KeyRoutes.principal(context)
            let period = try self.period(request)
            let (since, totals) = try await dispatcher.costTotals(tenant: principal.tenant, period: period)
            var body = totalsJSON(totals)
            body["period"] = .string(period.rawValue)
            body["since"] = .string(since)
            body["until"] = .string(Timestamp.now())
            return .json(.ok, JSONValue.object(body).text)
        }
        // Spend per UTC day, for the dashboard's chart: every day of the window, zeros included.
        router.get("/api/cost/daily") { request, context in
            let principal = try KeyRoutes.principal(context)
            let count = try days(request)
            let (since, rows) = try await dispatcher.costDaily(tenant: principal.tenant, days: count)
            let byDate = Dictionary(rows.map { ($0.date, $0.totals) }, uniquingKeysWith: { a, _ in a })
            let start = Timestamp.parse(since) ?? 0
            let items: [JSONValue] = (0..<count).map { i in
                let date = String(Timestamp.format(milliseconds: start + Int64(i) * 86_400_000).prefix(10))
                var item = totalsJSON(byDate[date] ?? CostLedger.Totals())
                item["date"] = .string(date)
                return .object(item)
            }
            let body: JSONValue = ["since": .string(since), "until": .string(Timestamp.now()), "days": .array(items)]
            return .json(.ok, body.text)
        }
        // Every tenant's spend: an instance operation (system tenant keys only, AccessPolicy).
        router.get("/api/cost/tenants") { request, _ in
            let period = try self.period(request)
            let (since, rows) = try await dispatcher.costByTenant(period: period)
            let body: JSONValue = [
                "period": .string(period.rawValue), "since": .string(since), "until": .string(Timestamp.now()),
                "items": .array(
                    rows.map { row in
                        var item = totalsJSON(row.totals)
                        item["tenant"] = .string(row.tenant)
                        return .object(item)
                    }),
            ]
            return .json(.ok, body.text)
        }
        router.get("/api/cost/breakdown") { request, context in
            let principal = try KeyRoutes.principal(context)
            let period = try self.period(request)
            let (since, lines) = try await dispatcher.costBreakdown(tenant: principal.tenant, period: period)
            let body: JSONValue = [
                "period": .string(period.rawValue), "since": .string(since), "until": .string(Timestamp.now()),
                "total_usd": .double(lines.reduce(0) { $0 + $1.totals.usd }),
                "items": .array(
                    lines.map { line in
                        var item = totalsJSON(line.totals)
                        item["provider"] = .string(line.provider)
                        item["model"] = line.model.isEmpty ? .null : .string(line.model)
                        return .object(item)
                    }),
            ]
            return .json(.ok, body.text)
        }
    }

    /// `days` (1–366, default 14).
    static func days(_ request: HTTPRequest) throws -> Int {
        guard let text = request.queryValue("days") else { return 14 }
        guard let days = Int(text), (1...366).contains(days) else {
            throw HTTPError.badRequest("days must be a whole number from 1 to 366")
        }
        return days
    }

    static func period(_ request: HTTPRequest) throws -> CostPeriod {
        guard let text = request.queryValue("period") else { return .day }
        guard let period = CostPeriod(rawValue: text) else {
            throw HTTPError.badRequest("period must be one of day, week, month")
        }
        return period
    }

    static func totalsJSON(_ totals: CostLedger.Totals) -> [String: JSONValue] {
        [
            "jobs": .int(Int64(totals.jobs)), "total_usd": .double(totals.usd),
            "tokens": ["input": .int(totals.tokensInput), "output": .int(totals.tokensOutput)],
        ]
    }
}

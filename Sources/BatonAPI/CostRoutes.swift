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

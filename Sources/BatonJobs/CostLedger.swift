import BatonCore
import BatonJSON
import BatonStore

/// A calendar period in UTC, for cost reports and budgets: today, this ISO week (from Monday), or
/// this month.
public enum CostPeriod: String, Sendable, CaseIterable {
    case day, week, month

    /// Milliseconds since the epoch at which the period containing `now` began.
    public func start(containing now: Int64) -> Int64 {
        let msPerDay: Int64 = 86_400_000
        var days = now / msPerDay
        if now % msPerDay < 0 { days -= 1 }
        switch self {
        case .day:
            break
        case .week:
            // 1970-01-01 was a Thursday: Monday-based weekday is (days + 3) mod 7.
            days -= ((days + 3) % 7 + 7) % 7
        case .month:
            let (y, m, _) = CivilDate.from(days: days)
            days = CivilDate.days(year: y, month: m, day: 1)
        }
        return days * msPerDay
    }
}

/// Days since 1970-01-01 and proleptic Gregorian dates, converted arithmetically.
enum CivilDate {
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func from(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// What a finished job cost, and where the figure came from.
public struct CostEntry: Sendable, Equatable {
    public enum Source: String, Sendable { case runner, pricing, unpriced }
    public var usd: Double
    public var source: Source

    /// The runner's own figure wins; otherwise the price table `providers.<p>.pricing.<model>` in
    /// USD per million tokens; otherwise the job is recorded with its tokens at zero cost.
    public static func price(
        provider: String, model: String?, tokensInput: Int64, tokensOutput: Int64, reported: Double?,
        providers: JSONValue?
    ) -> CostEntry {
        if let reported { return CostEntry(usd: reported, source: .runner) }
        if let model, let table = providers?[provider]?["pricing"]?[model],
            let input = table["input_per_mtok"]?.doubleValue, let output = table["output_per_mtok"]?.doubleValue
        {
            let usd = (Double(tokensInput) * input + Double(tokensOutput) * output) / 1_000_000
            return CostEntry(usd: usd, source: .pricing)
        }
        return CostEntry(usd: 0, source: .unpriced)
    }
}

/// The cost ledger: one row per finished attempt of a job, summed for reports and budgets.
public enum CostLedger {
    static func record(job: Job, cost: CostEntry, at: String, into conn: Connection) throws {
        try conn.execute(
            """
            INSERT INTO cost_ledger (tenant, job_id, attempt, provider, model, tokens_input, tokens_output, cost_usd,
                source, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            ON CONFLICT (job_id, attempt) DO NOTHING
            """,
            [
                .text(job.tenant), .integer(job.id), .integer(Int64(job.attempt)), .text(job.provider),
                .text(job.billedModel ?? ""), .integer(job.tokensInput), .integer(job.tokensOutput), .real(cost.usd),
                .text(cost.source.rawValue), .text(at),
            ])
    }

    public struct Totals: Sendable, Equatable {
        public var jobs: Int
        public var tokensInput: Int64
        public var tokensOutput: Int64
        public var usd: Double
    }

    public static func total(tenant: String, since: String, in conn: Connection) throws -> Totals {
        let row = try conn.queryOne(
            """
            SELECT count(*) AS jobs, coalesce(sum(tokens_input), 0) AS tokens_input,
                coalesce(sum(tokens_output), 0) AS tokens_output, coalesce(sum(cost_usd), 0.0) AS usd
            FROM cost_ledger WHERE tenant = ?1 AND at >= ?2
            """, [.text(tenant), .text(since)])
        return Totals(
            jobs: row?.int("jobs") ?? 0, tokensInput: row?.int64("tokens_input") ?? 0,
            tokensOutput: row?.int64("tokens_output") ?? 0, usd: row?.double("usd") ?? 0)
    }

    public struct Line: Sendable, Equatable {
        public var provider: String
        public var model: String
        public var totals: Totals
    }

    public static func breakdown(tenant: String, since: String, in conn: Connection) throws -> [Line] {
        try conn.query(
            """
            SELECT provider, model, count(*) AS jobs, sum(tokens_input) AS tokens_input,
                sum(tokens_output) AS tokens_output, sum(cost_usd) AS usd FROM cost_ledger
            WHERE tenant = ?1 AND at >= ?2 GROUP BY provider, model ORDER BY sum(cost_usd) DESC, provider, model
            """, [.text(tenant), .text(since)]
        ).map { row in
            Line(
                provider: try row.decode("provider"), model: try row.decode("model"),
                totals: Totals(
                    jobs: row.int("jobs") ?? 0, tokensInput: row.int64("tokens_input") ?? 0,
                    tokensOutput: row.int64("tokens_output") ?? 0, usd: row.double("usd") ?? 0))
        }
    }
}

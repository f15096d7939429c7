import BatonCore
import BatonJSON
import BatonStore

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

    /// One batch of retention (SPEC §1.4): removes entries recorded before `cutoff`.
    public static func prune(_ conn: Connection, _ walk: inout AgedRows, before cutoff: String, limit: Int) throws
        -> Int
    {
        try walk.apply(
            "DELETE FROM cost_ledger WHERE id > ?1 AND id <= ?2 AND at < ?3", conn, before: cutoff, limit: limit)
    }

    public struct Totals: Sendable, Equatable {
        public var jobs: Int
        public var tokensInput: Int64
        public var tokensOutput: Int64
        public var usd: Double

        public init(jobs: Int = 0, tokensInput: Int64 = 0, tokensOutput: Int64 = 0, usd: Double = 0) {
            self.jobs = jobs
            self.tokensInput = tokensInput
            self.tokensOutput = tokensOutput
            self.usd = usd
        }
    }

    /// SQL for the sum of a token column that cannot fail: SQLite's `sum` of integers stops the
    /// query with "integer overflow", `total` adds as doubles (exact below 2^53); the result is
    /// held at 2^53 − 1, the most one report may count.
    public static func saturatingSum(_ column: String) -> String {
        "CAST(min(total(\(column)), 9007199254740991) AS INTEGER)"
    }

    public static func total(tenant: String, since: String, in conn: Connection) throws -> Totals {
        let row = try conn.queryOne(
            """
            SELECT count(*) AS jobs, \(saturatingSum("tokens_input")) AS tokens_input,
                \(saturatingSum("tokens_output")) AS tokens_output, coalesce(sum(cost_usd), 0.0) AS usd
            FROM cost_ledger WHERE tenant = ?1 AND at >= ?2
            """, [.text(tenant), .text(since)])
        return Totals(
            jobs: row?.int("jobs") ?? 0, tokensInput: row?.int64("tokens_input") ?? 0,
            tokensOutput: row?.int64("tokens_output") ?? 0, usd: row?.double("usd") ?? 0)
    }

    /// Totals per tenant since `since` (every tenant: for the system tenant's view), by spend.
    public static func byTenant(since: String, in conn: Connection) throws -> [(tenant: String, totals: Totals)] {
        try conn.query(
            """
            SELECT tenant, count(*) AS jobs, \(saturatingSum("tokens_input")) AS tokens_input,
                \(saturatingSum("tokens_output")) AS tokens_output, coalesce(sum(cost_usd), 0.0) AS usd
            FROM cost_ledger WHERE at >= ?1 GROUP BY tenant ORDER BY usd DESC, tenant
            """, [.text(since)]
        ).map { row in
            (
                row.string("tenant") ?? "",
                Totals(
                    jobs: row.int("jobs") ?? 0, tokensInput: row.int64("tokens_input") ?? 0,
                    tokensOutput: row.int64("tokens_output") ?? 0, usd: row.double("usd") ?? 0)
            )
        }
    }

    /// One UTC day's totals (`date` is `YYYY-MM-DD`).
    public struct Day: Sendable, Equatable {
        public var date: String
        public var totals: Totals
    }

    /// Totals per UTC day since `since`, oldest first; days without spend are absent.
    public static func daily(tenant: String, since: String, in conn: Connection) throws -> [Day] {
        try conn.query(
            """
            SELECT substr(at, 1, 10) AS day, count(*) AS jobs, \(saturatingSum("tokens_input")) AS tokens_input,
                \(saturatingSum("tokens_output")) AS tokens_output, coalesce(sum(cost_usd), 0.0) AS usd
            FROM cost_ledger WHERE tenant = ?1 AND at >= ?2 GROUP BY day ORDER BY day
            """, [.text(tenant), .text(since)]
        ).map { row in
            Day(
                date: row.string("day") ?? "",
                totals: Totals(
                    jobs: row.int("jobs") ?? 0, tokensInput: row.int64("tokens_input") ?? 0,
                    tokensOutput: row.int64("tokens_output") ?? 0, usd: row.double("usd") ?? 0))
        }
    }

    public struct Line: Sendable, Equatable {
        public var provider: String
        public var model: String
        public var totals: Totals
    }

    public static func breakdown(tenant: String, since: String, in conn: Connection) throws -> [Line] {
        try conn.query(
            """
            SELECT provider, model, count(*) AS jobs, \(saturatingSum("tokens_input")) AS tokens_input,
                \(saturatingSum("tokens_output")) AS tokens_output, sum(cost_usd) AS usd FROM cost_ledger
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

struct SpendTotals: Sendable {
    var dayStart: Int64
    var dayUSD: Double
    var monthStart: Int64
    var monthUSD: Double
}

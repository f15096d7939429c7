import BatonCoreFixtures
import BatonJSON
import Testing

@testable import BatonCore
@testable import BatonJobs

@Suite struct CostLedgerTests {
    /// 2026-11-22 is a Sunday.
    static let sunday = CivilDate.days(year: 2026, month: 11, day: 22) * 86_400_000 + 13 * 3_600_000

    @Test func periodsStartAtUTCCalendarBoundaries() {
        #expect(
            Timestamp.format(milliseconds: CostPeriod.day.start(containing: Self.sunday)) == "2026-11-22T00:00:00.000Z")
        #expect(
            Timestamp.format(milliseconds: CostPeriod.week.start(containing: Self.sunday)) == "2026-11-16T00:00:00.000Z"
        )
        #expect(
            Timestamp.format(milliseconds: CostPeriod.month.start(containing: Self.sunday))
                == "2026-11-01T00:00:00.000Z")
        let leap = CivilDate.days(year: 2024, month: 2, day: 29) * 86_400_000
        #expect(Timestamp.format(milliseconds: CostPeriod.month.start(containing: leap)) == "2024-02-01T00:00:00.000Z")
        #expect(Timestamp.format(milliseconds: CostPeriod.week.start(containing: 0)) == "1969-12-29T00:00:00.000Z")
    }

    @Test func civilDatesRoundTrip() {
        for days in stride(from: -800_000 as Int64, through: 800_000, by: 997) {
            let (y, m, d) = CivilDate.from(days: days)
            #expect(CivilDate.days(year: y, month: m, day: d) == days)
        }
    }

    @Test func runnerCostWinsThenPriceTableThenZero() {
        let providers: JSONValue = ["claude": ["pricing": ["haiku": ["input_per_mtok": 1.0, "output_per_mtok": 5.0]]]]
        #expect(
            CostEntry.price(
                provider: "claude", model: "haiku", tokensInput: 1_000_000, tokensOutput: 200_000, reported: nil,
                providers: providers)
                == CostEntry(usd: 2.0, source: .pricing))
        #expect(
            CostEntry.price(
                provider: "claude", model: "haiku", tokensInput: 5, tokensOutput: 5, reported: 0.5, providers: providers
            )
                == CostEntry(usd: 0.5, source: .runner))
        #expect(
            CostEntry.price(
                provider: "claude", model: "opus", tokensInput: 5, tokensOutput: 5, reported: nil, providers: providers)
                == CostEntry(usd: 0, source: .unpriced))
    }
}

/// Token sums cannot fail: SQLite's `sum` of integers stops a query with "integer overflow".
@Suite struct CostLedgerSumTests {
    @Test func tokenTotalsSaturateInsteadOfFailingTheQuery() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let near = Int64.max / 2 + 1
            var jobs: [Int64] = []
            for _ in 0..<3 {
                jobs.append(
                    try await core.dispatcher.create(JobSpec(prompt: "x", provider: "dry-run"), tenant: "default").id)
            }
            try core.database.writeBlocking { conn in
                for job in jobs {
                    try conn.execute(
                        """
                        INSERT INTO cost_ledger (tenant, job_id, attempt, provider, model, tokens_input, tokens_output,
                            cost_usd, source, at)
                        VALUES ('default', ?1, 1, 'p', 'm', ?2, 5, 0.5, 'runner', '2026-12-06T00:00:00.000Z')
                        """, [.integer(job), .integer(near)])
                }
            }
            let totals = try core.database.readBlocking { conn in
                try CostLedger.total(tenant: "default", since: "2026-01-01T00:00:00.000Z", in: conn)
            }
            #expect(totals.tokensInput == 9_007_199_254_740_991 && totals.tokensOutput == 15 && totals.jobs == 3)
            let lines = try core.database.readBlocking { conn in
                try CostLedger.breakdown(tenant: "default", since: "2026-01-01T00:00:00.000Z", in: conn)
            }
            #expect(lines.count == 1 && lines[0].totals.tokensInput == 9_007_199_254_740_991)
        }
    }
}

import BatonCore
import BatonJSON
import Testing

@testable import BatonRetention

/// The floors of SPEC §1.4: what an operator sets is raised to what replay protection and budgets need.
@Suite struct RetentionSettingsTests {
    static func settings(_ config: JSONValue) -> RetentionSettings {
        RetentionSettings(config: ConfigSchema.defaults.merged(with: config))
    }

    @Test func deliveriesAreKeptTwiceTheWebhookAgeWindowAndAMinute() {
        // The default window is 60 s: a replay can pass the timestamp check until 120 s after receipt.
        #expect(Self.settings(["retention": ["webhook_deliveries_s": 1]]).webhookDeliveries == 180)
        #expect(
            Self.settings([
                "retention": ["webhook_deliveries_s": 1], "webhooks": ["linear": ["max_age_ms": 3_600_000]],
            ]).webhookDeliveries == 7_260)
        // A window that is not whole seconds is rounded up, never down.
        #expect(
            Self.settings([
                "retention": ["webhook_deliveries_s": 1], "webhooks": ["linear": ["max_age_ms": 1_500]],
            ]).webhookDeliveries == 64)
        // Above the floor, the setting as given; 0 keeps them forever.
        #expect(Self.settings(["retention": ["webhook_deliveries_s": 600]]).webhookDeliveries == 600)
        #expect(Self.settings(["retention": ["webhook_deliveries_s": 0]]).webhookDeliveries == nil)
    }

    @Test func theLedgerKeepsAMonthAndTheRestAsSet() {
        let settings = Self.settings([
            "retention": ["cost_ledger_s": 1, "events_s": 5, "jobs_s": 0, "interval_s": 7, "batch_rows": 3]
        ])
        #expect(settings.costLedger == 2_764_800)  // 32 days
        #expect(settings.events == 5)
        #expect(settings.jobs == nil)
        #expect(settings.intervalSeconds == 7)
        #expect(settings.batchRows == 3)
    }
}

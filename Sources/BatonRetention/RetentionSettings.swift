import BatonCore
import BatonJSON

/// How long each kind of finished work is kept (`retention.*`, SPEC §1.4), in seconds; nil keeps
/// it forever (a setting of 0).
public struct RetentionSettings: Sendable, Equatable {
    public var events: Int64?
    public var jobs: Int64?
    public var webhookDeliveries: Int64?
    public var attemptPrompts: Int64?
    public var releasedIssues: Int64?
    public var costLedger: Int64?
    public var intervalSeconds: Int64
    public var batchRows: Int

    /// Seconds a processed delivery is kept at least. A delivery is accepted only while its signed
    /// `webhookTimestamp` is within `max_age` of now, so a replay can arrive at most `2 · max_age`
    /// after the original was received; a minute more covers clock steps (SPEC §1.4).
    public static func minimumDeliveries(maxAgeMs: Int64) -> Int64 {
        2 * ((max(0, maxAgeMs) + 999) / 1000) + 60
    }
    /// Cost entries are kept at least 32 days, so the month's budget always sees all its spend.
    public static let minimumCostLedger: Int64 = 32 * 86_400

    public init(config: JSONValue) {
        let reader = ConfigReader(config)
        func kept(_ key: String, atLeast floor: Int64 = 0) -> Int64? {
            let seconds = reader.int("retention." + key)
            return seconds > 0 ? max(seconds, floor) : nil
        }
        events = kept("events_s")
        jobs = kept("jobs_s")
        webhookDeliveries = kept(
            "webhook_deliveries_s",
            atLeast: Self.minimumDeliveries(maxAgeMs: reader.int("webhooks.linear.max_age_ms")))
        attemptPrompts = kept("attempt_prompts_s")
        releasedIssues = kept("issues_s")
        costLedger = kept("cost_ledger_s", atLeast: Self.minimumCostLedger)
        intervalSeconds = max(1, reader.int("retention.interval_s"))
        batchRows = Int(clamping: max(1, reader.int("retention.batch_rows")))
    }
}

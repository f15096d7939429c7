import BatonCore
import BatonJSON

/// The configuration the dispatcher reads, refreshed whenever the effective config changes.
public struct DispatchSettings: Sendable, Equatable {
    public var staleAfterMs: Int64 = 15_000
    public var leaseMs: Int64 = 30_000
    public var maxJobAttempts = 3
    public var weights = RouterWeights()
    public var maxPromptBytes = 262_144
    public var defaultProvider = "dry-run"
    /// `providers` as configured, for the price table.
    public var providers: JSONValue = [:]
    public var dailyLimitUSD: Double?
    public var monthlyLimitUSD: Double?
    public var onExceedLevel = 2

    public init() {}

    public init(config effective: JSONValue) {
        let router = effective["router"]
        staleAfterMs = (router?["stale_after_s"]?.intValue ?? 15) * 1000
        leaseMs = (router?["lease_s"]?.intValue ?? 30) * 1000
        maxJobAttempts = Int(router?["max_job_attempts"]?.intValue ?? 3)
        weights = RouterWeights(config: router?["weights"])
        maxPromptBytes = Int(effective["jobs"]?["max_prompt_bytes"]?.intValue ?? 262_144)
        defaultProvider = effective["agent"]?["provider"]?.stringValue ?? "dry-run"
        providers = effective["providers"] ?? [:]
        dailyLimitUSD = effective["budget"]?["daily_limit_usd"]?.doubleValue
        monthlyLimitUSD = effective["budget"]?["monthly_limit_usd"]?.doubleValue
        onExceedLevel = Int(effective["budget"]?["on_exceed_level"]?.intValue ?? 2)
    }

    /// Workers heartbeat three times per staleness window, so one lost heartbeat is not an outage.
    public var heartbeatIntervalS: Int64 { max(1, staleAfterMs / 3000) }
}

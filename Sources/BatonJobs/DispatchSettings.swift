import BatonCore
import BatonJSON

/// The configuration the dispatcher reads, refreshed whenever the effective config changes.
public struct DispatchSettings: Sendable, Equatable {
    public var staleAfterMs: Int64
    public var leaseMs: Int64
    public var maxJobAttempts: Int
    /// Issues per tenant whose last worker is remembered for the stickiness score.
    public var stickyIssues: Int
    public var weights: RouterWeights
    public var maxPromptBytes: Int
    public var defaultProvider: String
    /// `providers` as configured, for the price table.
    public var providers: JSONValue
    public var dailyLimitUSD: Double?
    public var monthlyLimitUSD: Double?
    public var onExceedLevel: Int

    /// The schema's defaults.
    public init() { self.init(config: [:]) }

    public init(config effective: JSONValue) {
        let config = ConfigReader(effective)
        staleAfterMs = config.int("router.stale_after_s") * 1000
        leaseMs = config.int("router.lease_s") * 1000
        maxJobAttempts = Int(config.int("router.max_job_attempts"))
        stickyIssues = Int(config.int("router.sticky_issues"))
        weights = RouterWeights(config: effective)
        maxPromptBytes = Int(config.int("jobs.max_prompt_bytes"))
        defaultProvider = config.string("agent.provider")
        providers = config.value("providers") ?? [:]
        dailyLimitUSD = config.optionalDouble("budget.daily_limit_usd")
        monthlyLimitUSD = config.optionalDouble("budget.monthly_limit_usd")
        onExceedLevel = Int(config.int("budget.on_exceed_level"))
    }

    /// Workers heartbeat three times per staleness window, so one lost heartbeat is not an outage.
    public var heartbeatIntervalS: Int64 { max(1, staleAfterMs / 3000) }
}

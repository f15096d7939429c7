import BatonJSON

/// The dispatcher's clock in milliseconds since the epoch: the real one in service, a hand-moved
/// one in tests of leases and staleness.
public struct DispatchClock: Sendable {
    public let now: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64) { self.now = now }

    public static let system = DispatchClock { Timestamp.nowMilliseconds() }
}

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

/// Why the dispatcher refused: the API turns each case into its status code.
public enum DispatchError: Error, Sendable, Equatable {
    /// 404: no such job or worker in the caller's tenant (or not the calling worker's).
    case notFound(String)
    /// 409: a stale lease token, or a change a finished job cannot take.
    case conflict(String)
    /// 423: the tenant's killswitch refuses it.
    case locked(String)
    /// 503: no worker can take the job now; the decision says why each was rejected.
    case noEligibleWorker(RoutingDecision)
    /// 400: a request that is well-formed JSON but says something impossible.
    case invalid(String)
    /// 422: a move the issue state machine forbids.
    case forbiddenTransition(String)

    public var message: String {
        switch self {
        case .notFound(let m), .conflict(let m), .locked(let m), .invalid(let m), .forbiddenTransition(let m): m
        case .noEligibleWorker(let d):
            d.candidates == 0
                ? "no eligible worker: no worker is registered"
                : "no eligible worker: all \(d.candidates) rejected"
        }
    }
}

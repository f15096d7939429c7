import BatonCore
import BatonJSON
import BatonJobs
import BatonTemplates

/// What the orchestrator reads of the configuration (`tracker.*`, `agent.*`, `webhooks.linear.*`).
public struct OrchestratorSettings: Sendable, Equatable {
    public var activeStates = ["Todo", "In Progress"]
    public var terminalStates = ["Done", "Closed", "Canceled", "Cancelled", "Duplicate"]
    public var requiredLabels: [String] = []
    public var maxConcurrent = 10
    public var maxConcurrentByState: [String: Int] = [:]
    public var maxAttempts = 10
    public var maxRetryBackoffMs: Int64 = 300_000
    public var stallTimeoutMs: Int64 = 300_000
    public var provider = "dry-run"
    public var model: String?
    public var template = "default"
    public var steerPrefix = "/baton"
    public var pollIntervalMs: Int64 = 30_000
    public var git = GitRouting()

    public init() {}

    public init(config: JSONValue) {
        func strings(_ path: [String]) -> [String]? {
            config.value(at: path)?.arrayValue?.compactMap(\.stringValue)
        }
        func int(_ path: [String]) -> Int64? { config.value(at: path)?.intValue }
        activeStates = strings(["tracker", "active_states"]) ?? activeStates
        terminalStates = strings(["tracker", "terminal_states"]) ?? terminalStates
        requiredLabels = strings(["tracker", "required_labels"]) ?? requiredLabels
        pollIntervalMs = int(["tracker", "poll_interval_ms"]) ?? pollIntervalMs
        maxConcurrent = Int(int(["agent", "max_concurrent"]) ?? Int64(maxConcurrent))
        if let byState = config.value(at: ["agent", "max_concurrent_by_state"])?.objectValue {
            maxConcurrentByState = byState.compactMapValues { $0.intValue.map(Int.init) }
        }
        maxAttempts = Int(int(["agent", "max_attempts"]) ?? Int64(maxAttempts))
        maxRetryBackoffMs = int(["agent", "max_retry_backoff_ms"]) ?? maxRetryBackoffMs
        stallTimeoutMs = int(["agent", "stall_timeout_ms"]) ?? stallTimeoutMs
        provider = config.value(at: ["agent", "provider"])?.stringValue ?? provider
        model = config.value(at: ["agent", "model"])?.stringValue
        template = config.value(at: ["agent", "template"])?.stringValue ?? template
        steerPrefix = config.value(at: ["webhooks", "linear", "steer_prefix"])?.stringValue ?? steerPrefix
        git = GitRouting(config: config)
    }

    func isActive(_ state: String) -> Bool { activeStates.contains { $0.lowercased() == state.lowercased() } }
    func isTerminal(_ state: String) -> Bool { terminalStates.contains { $0.lowercased() == state.lowercased() } }

    /// The design's failure backoff: `min(10000 · 2^(n−1), max_retry_backoff_ms)`.
    public func retryDelayMs(afterFailure n: Int) -> Int64 {
        let exponent = min(max(0, n - 1), 30)
        return min(10_000 * (Int64(1) << exponent), maxRetryBackoffMs)
    }
}

import BatonCore
import BatonJSON
import BatonJobs
import BatonTemplates

/// What the orchestrator reads of the configuration (`tracker.*`, `agent.*`, `webhooks.linear.*`).
public struct OrchestratorSettings: Sendable, Equatable {
    public var activeStates: [String]
    public var terminalStates: [String]
    public var requiredLabels: [String]
    public var maxConcurrent: Int
    public var maxConcurrentByState: [String: Int]
    public var maxAttempts: Int
    public var maxRetryBackoffMs: Int64
    public var stallTimeoutMs: Int64
    public var provider: String
    public var model: String?
    public var template: String
    public var steerPrefix: String
    public var pollIntervalMs: Int64
    public var git: GitRouting
    /// `templates.*`: what rendering an attempt's prompt may cost.
    public var templateLimits: TemplateLimits
    /// `jobs.max_prompt_bytes`: an attempt's rendered prompt is held to it as an API job is.
    public var maxPromptBytes: Int
    /// `tracker.agent.share_command_output`: whether a session's actions carry command output.
    public var shareCommandOutput: Bool
    /// `tracker.team_key`: when set, the only team whose issues a Linear agent session may start.
    public var teamKey: String?

    /// The schema's defaults.
    public init() { self.init(config: [:]) }

    public init(config effective: JSONValue) {
        let config = ConfigReader(effective)
        activeStates = config.strings("tracker.active_states")
        terminalStates = config.strings("tracker.terminal_states")
        requiredLabels = config.strings("tracker.required_labels")
        pollIntervalMs = config.int("tracker.poll_interval_ms")
        maxConcurrent = Int(config.int("agent.max_concurrent"))
        maxConcurrentByState = (config.value("agent.max_concurrent_by_state")?.objectValue ?? [:]).compactMapValues {
            $0.intValue.flatMap { Int(exactly: $0) }
        }
        maxAttempts = Int(config.int("agent.max_attempts"))
        maxRetryBackoffMs = config.int("agent.max_retry_backoff_ms")
        stallTimeoutMs = config.int("agent.stall_timeout_ms")
        provider = config.string("agent.provider")
        model = config.optionalString("agent.model")
        template = config.string("agent.template")
        steerPrefix = config.string("webhooks.linear.steer_prefix")
        git = GitRouting(config: effective)
        templateLimits = TemplateLimits(config: effective)
        maxPromptBytes = Int(config.int("jobs.max_prompt_bytes"))
        shareCommandOutput = config.bool("tracker.agent.share_command_output")
        teamKey = config.optionalString("tracker.team_key")
    }

    func isActive(_ state: String) -> Bool { activeStates.contains { $0.lowercased() == state.lowercased() } }
    func isTerminal(_ state: String) -> Bool { terminalStates.contains { $0.lowercased() == state.lowercased() } }

    /// The failure backoff (SPEC §9.7): `min(10000 · 2^(n−1), max_retry_backoff_ms)`.
    public func retryDelayMs(afterFailure n: Int) -> Int64 {
        let exponent = min(max(0, n - 1), 30)
        return min(10_000 * (Int64(1) << exponent), maxRetryBackoffMs)
    }
}

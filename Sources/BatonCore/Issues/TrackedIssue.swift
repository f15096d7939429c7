import BatonJSON

/// An issue as the tracker describes it (a Linear webhook's `data`, a GraphQL node, or the API).
public struct TrackedIssue: Sendable, Equatable {
    public var identifier: String
    public var trackerID: String?
    public var title: String
    public var description: String
    /// The tracker's workflow state name ("Todo", "In Progress", "Done", …).
    public var state: String
    /// Linear's priority: 0 none, 1 urgent, 2 high, 3 medium, 4 low.
    public var priority: Int
    public var labels: [String]
    public var url: String?
    public var createdAt: String?

    public init(
        identifier: String, trackerID: String? = nil, title: String, description: String = "", state: String,
        priority: Int = 0, labels: [String] = [], url: String? = nil, createdAt: String? = nil
    ) {
        self.identifier = identifier
        self.trackerID = trackerID
        self.title = title
        self.description = description
        self.state = state
        self.priority = priority
        self.labels = labels
        self.url = url
        self.createdAt = createdAt
    }

    /// `ENG-123`: a team key, a dash, a number.
    public static func isIdentifier(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let team = parts.first, let number = parts.last else { return false }
        // Linear's team keys are upper case (ENG-123); `job-7`, a job's workspace, is not an issue.
        return (1...16).contains(team.count) && team.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
            && ("A"..."Z").contains(team.first!) && (1...9).contains(number.count) && number.allSatisfy(\.isASCII)
            && number.allSatisfy(\.isNumber)
    }
}

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

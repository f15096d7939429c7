/// Who this worker is and how it behaves.
public struct WorkerSettings: Sendable {
    public var name: String
    public var tags: [String]
    public var capacity: Int
    public var heartbeatSeconds: Double = 5
    public var leaseWaitSeconds: Int = 25
    public var eventIntervalMs: Int = 250
    /// Longest time without a report while a job runs, even when it has nothing new to say.
    public var quietReportMs: Int = 1000
    public var maxTurns: Int = 20
    public var workspaces: Workspaces
    /// Keep the workspace of a job that belongs to no issue once it ends (`workspaces.keep_adhoc`).
    public var keepAdHocWorkspaces = false
    public var hooks: Hooks
    public var version: String
    /// Longest wait between retries while the coordinator is unreachable.
    public var maxBackoffSeconds: Double = 30
    /// Where this worker's node API answers (`baton node` serves one), for the coordinator.
    public var nodeURL: String?
    /// This machine's best-fitting models, asked for at every heartbeat and sent as `top_models`
    /// so the router's model-fit component scores against the machine as it is now (free memory
    /// moves the ranking).
    public var topModels: @Sendable () -> [TopModel] = { [] }
    /// How agents and hooks are contained (`sandbox.*`).
    public var sandbox = SandboxSettings()

    public init(
        name: String, tags: [String] = [], capacity: Int = 1, workspaces: Workspaces, hooks: Hooks = Hooks(),
        version: String = ""
    ) {
        self.name = name
        self.tags = tags
        self.capacity = max(1, capacity)
        self.workspaces = workspaces
        self.hooks = hooks
        self.version = version
    }
}

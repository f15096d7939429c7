/// A worker is named by its tenant and instance: two tenants may each have a worker `gpu-1`.
public struct WorkerKey: Hashable, Sendable {
    public var tenant: String
    public var instance: String

    public init(tenant: String, instance: String) {
        self.tenant = tenant
        self.instance = instance
    }
}

/// One tenant's live dispatch state.
struct TenantBoard: Sendable {
    var workers = WorkerTable()
    var pending = PendingQueue()
    /// Jobs assigned to a worker that it has not leased yet, oldest first.
    var assigned: [String: [Int64]] = [:]
    var killswitch = KillswitchState.off
    /// The worker each recent issue's last job ran on (stickiness), bounded by `router.sticky_issues`.
    var lastWorkerByIssue = RecentIssueWorkers()
    /// Workers with undelivered commands, so a heartbeat only queries when there is something.
    var workersWithCommands: Set<String> = []
}

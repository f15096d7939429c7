import BatonCore
import BatonWorkerProtocol

/// What the router needs to know about a worker, as the dispatcher keeps it in memory.
public struct WorkerEntry: Sendable, Equatable {
    public var instance: String
    public var report: PresenceReport
    public var tagSet: Set<String>
    public var tier: JobTier
    public var paused: Bool
    public var lastHeartbeatMs: Int64
    public var firstSeenAt: String
    /// Jobs Baton has assigned it that are not finished (assigned or running).
    public var active: Int
    public var completed: Int
    public var failed: Int
    /// Whether the last sweep saw it online (so `worker.online`/`worker.offline` fire once per change).
    public var online: Bool
    /// The heartbeat time last written to `workers` (SPEC §6.7): a heartbeat that changes nothing
    /// refreshes memory only, and is written again once this is `persistHeartbeatMs` old.
    public var persistedHeartbeatMs: Int64

    public init(
        report: PresenceReport, paused: Bool = false, lastHeartbeatMs: Int64, firstSeenAt: String, active: Int = 0,
        completed: Int = 0, failed: Int = 0, online: Bool = true
    ) {
        instance = report.instance
        self.report = report
        tagSet = Set(report.tags)
        tier = WorkerEntry.tier(of: report.tags)
        self.paused = paused
        self.lastHeartbeatMs = lastHeartbeatMs
        self.firstSeenAt = firstSeenAt
        self.active = active
        self.completed = completed
        self.failed = failed
        self.online = online
        self.persistedHeartbeatMs = lastHeartbeatMs
    }

    mutating func update(_ report: PresenceReport) {
        self.report = report
        tagSet = Set(report.tags)
        tier = WorkerEntry.tier(of: report.tags)
    }

    /// A worker's tier comes from its tags: `economy`, `low` or `tier:low` → low; `premium`, `high`
    /// or `tier:high` → high; anything else is medium.
    public static func tier(of tags: [String]) -> JobTier {
        for tag in tags {
            switch tag {
            case "economy", "low", "tier:low": return .low
            case "premium", "high", "tier:high": return .high
            default: continue
            }
        }
        return .medium
    }

    public func isOnline(now: Int64, staleAfterMs: Int64) -> Bool {
        report.status != .offline && now - lastHeartbeatMs < staleAfterMs
    }
}

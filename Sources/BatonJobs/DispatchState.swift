import BatonCore
import BatonJSON
import BatonStore

/// A worker is named by its tenant and instance: two tenants may each have a worker `gpu-1`.
public struct WorkerKey: Hashable, Sendable {
    public var tenant: String
    public var instance: String

    public init(tenant: String, instance: String) {
        self.tenant = tenant
        self.instance = instance
    }
}

/// The unfinished part of a job that scheduling needs, kept in memory.
struct LiveJob: Sendable {
    var id: Int64
    var tenant: String
    var status: JobStatus
    var priority: JobPriority
    var provider: String
    var model: String?
    var tier: JobTier
    var tags: [String]
    var issue: String?
    var worker: String?
    var attempt: Int
    var leaseToken: String?
    var leaseExpiresMs: Int64?
    /// When it last entered the queue, for the dispatch latency histogram.
    var queuedAtMs: Int64

    init(
        id: Int64, tenant: String, status: JobStatus, priority: JobPriority, provider: String, model: String?,
        tier: JobTier, tags: [String], issue: String?, worker: String?, attempt: Int, leaseToken: String?,
        leaseExpiresMs: Int64?, queuedAtMs: Int64
    ) {
        self.id = id
        self.tenant = tenant
        self.status = status
        self.priority = priority
        self.provider = provider
        self.model = model
        self.tier = tier
        self.tags = tags
        self.issue = issue
        self.worker = worker
        self.attempt = attempt
        self.leaseToken = leaseToken
        self.leaseExpiresMs = leaseExpiresMs
        self.queuedAtMs = queuedAtMs
    }

    init(_ job: Job, queuedAtMs: Int64) {
        id = job.id
        tenant = job.tenant
        status = job.status
        priority = job.priority
        provider = job.provider
        model = job.model
        tier = job.tier
        tags = job.tags
        issue = job.issue
        worker = job.worker
        attempt = job.attempt
        leaseToken = job.leaseToken
        leaseExpiresMs = job.leaseExpiresMs
        self.queuedAtMs = queuedAtMs
    }

    var routingRequest: RoutingRequest {
        RoutingRequest(provider: provider, model: model, tier: tier, tags: tags)
    }
}

/// Pending job ids by priority, oldest (smallest id) first within each priority.
struct PendingQueue: Sendable {
    /// Index 0 is high, 1 normal, 2 low; each lane sorted ascending from `heads[i]`.
    private var lanes: [[Int64]] = [[], [], []]
    private var heads: [Int] = [0, 0, 0]

    private static func lane(_ priority: JobPriority) -> Int { 2 - priority.rank }

    var count: Int { (0..<3).reduce(0) { $0 + lanes[$1].count - heads[$1] } }

    mutating func insert(_ id: Int64, priority: JobPriority) {
        let l = Self.lane(priority)
        if lanes[l].count == heads[l] || lanes[l].last! < id {
            lanes[l].append(id)
            return
        }
        var low = heads[l]
        var high = lanes[l].count
        while low < high {
            let mid = (low + high) / 2
            if lanes[l][mid] < id { low = mid + 1 } else { high = mid }
        }
        lanes[l].insert(id, at: low)
    }

    mutating func remove(_ id: Int64, priority: JobPriority) {
        let l = Self.lane(priority)
        guard let index = lanes[l][heads[l]...].firstIndex(of: id) else { return }
        if index == heads[l] {
            heads[l] += 1
            compact(l)
        } else {
            lanes[l].remove(at: index)
        }
    }

    /// Up to `limit` ids in dispatch order: high before normal before low, oldest first.
    func first(_ limit: Int) -> [(id: Int64, priority: JobPriority)] {
        var out: [(Int64, JobPriority)] = []
        let priorities: [JobPriority] = [.high, .normal, .low]
        for l in 0..<3 {
            var i = heads[l]
            while i < lanes[l].count && out.count < limit {
                out.append((lanes[l][i], priorities[l]))
                i += 1
            }
            if out.count >= limit { break }
        }
        return out
    }

    func all() -> [Int64] { (0..<3).flatMap { lanes[$0][heads[$0]...] } }

    private mutating func compact(_ l: Int) {
        if heads[l] == lanes[l].count {
            lanes[l].removeAll(keepingCapacity: true)
            heads[l] = 0
        } else if heads[l] > 1024 && heads[l] * 2 > lanes[l].count {
            lanes[l].removeFirst(heads[l])
            heads[l] = 0
        }
    }
}

/// One tenant's live dispatch state.
struct TenantBoard: Sendable {
    var workers = WorkerTable()
    var pending = PendingQueue()
    /// Jobs assigned to a worker that it has not leased yet, oldest first.
    var assigned: [String: [Int64]] = [:]
    var killswitch = KillswitchState.off
    var lastWorkerByIssue: [String: String] = [:]
    /// Workers with undelivered commands, so a heartbeat only queries when there is something.
    var workersWithCommands: Set<String> = []
}

/// Everything the dispatcher keeps in memory: a cache of the database, rebuilt from it at start
/// and after any failed write.
struct DispatchState: Sendable {
    var tenants: [String: TenantBoard] = [:]
    var live: [Int64: LiveJob] = [:]
    var statusCounts: [JobStatus: Int] = [:]
    var jobsWithSteers: Set<Int64> = []
    /// Spend so far in the current day and month per tenant, once a budget asked for it.
    var spend: [String: SpendTotals] = [:]
    /// Set when a write failed after memory changed: the next write reloads from the database.
    var needsReload = false

    static func load(from conn: Connection, now: Int64, staleAfterMs: Int64) throws -> DispatchState {
        var state = DispatchState()
        for row in try conn.query("SELECT status, count(*) AS n FROM jobs GROUP BY status") {
            if let status = JobStatus(rawValue: try row.decode("status")) {
                state.statusCounts[status] = try row.decode("n")
            }
        }
        for row in try conn.query(
            """
            SELECT tenant, instance, status, tags, provider, providers, capacity, load, models, node_url, version,
                paused, first_seen_at, last_heartbeat_ms, jobs_completed, jobs_failed, workspaces, top_models,
                workspace_usage FROM workers
            """)
        {
            let models = Job.decodeModels(try row.decode("models"))
            let usage: String = try row.decode("workspace_usage")
            let report = PresenceReport(
                instance: try row.decode("instance"),
                status: PresenceReport.Status(rawValue: try row.decode("status")) ?? .idle,
                tags: StringListColumn.decode(try row.decode("tags")), provider: try row.decode("provider"),
                providers: StringListColumn.decode(try row.decode("providers")), capacity: try row.decode("capacity"),
                load: try row.decode("load"), models: models, topModels: Job.decodeModels(try row.decode("top_models")),
                nodeURL: try row.decodeIfPresent("node_url"), version: try row.decodeIfPresent("version"),
                workspaces: StringListColumn.decode(try row.decode("workspaces")),
                workspaceUsage: ((try? JSONParser.parse(Array(usage.utf8)))?.objectValue ?? [:])
                    .mapValues(WorkspaceUsage.init(json:)))
            var entry = WorkerEntry(
                report: report, paused: try row.decode("paused"), lastHeartbeatMs: try row.decode("last_heartbeat_ms"),
                firstSeenAt: try row.decode("first_seen_at"), completed: try row.decode("jobs_completed"),
                failed: try row.decode("jobs_failed"))
            entry.online = entry.isOnline(now: now, staleAfterMs: staleAfterMs)
            state.tenants[try row.decode("tenant"), default: TenantBoard()].workers[entry.instance] = entry
        }
        for row in try conn.query(
            "SELECT \(Job.columns) FROM jobs WHERE finished_at IS NULL AND (status = 'pending' OR status = 'assigned' OR status = 'running') ORDER BY id"
        ) {
            let job = try Job(row: row)
            state.live[job.id] = LiveJob(job, queuedAtMs: now)
            var board = state.tenants[job.tenant, default: TenantBoard()]
            switch job.status {
            case .pending:
                board.pending.insert(job.id, priority: job.priority)
            case .assigned, .running:
                if let worker = job.worker {
                    if job.status == .assigned { board.assigned[worker, default: []].append(job.id) }
                    board.workers[worker]?.active += 1
                }
            default:
                break
            }
            state.tenants[job.tenant] = board
        }
        for (tenant, killswitch) in try KillswitchState.loadAll(from: conn) {
            state.tenants[tenant, default: TenantBoard()].killswitch = killswitch
        }
        for row in try conn.query(
            """
            SELECT tenant, issue, worker FROM jobs WHERE id IN (SELECT max(id) FROM jobs
                WHERE issue IS NOT NULL AND worker IS NOT NULL GROUP BY tenant, issue)
            """)
        {
            if let issue = row.string("issue"), let worker = row.string("worker") {
                state.tenants[try row.decode("tenant"), default: TenantBoard()].lastWorkerByIssue[issue] = worker
            }
        }
        for row in try conn.query("SELECT DISTINCT job_id FROM job_steers WHERE delivered_at IS NULL") {
            state.jobsWithSteers.insert(try row.decode("job_id"))
        }
        for row in try conn.query("SELECT DISTINCT tenant, instance FROM worker_commands WHERE delivered_at IS NULL") {
            state.tenants[try row.decode("tenant"), default: TenantBoard()].workersWithCommands.insert(
                try row.decode("instance"))
        }
        return state
    }

    mutating func count(_ status: JobStatus, _ delta: Int) { statusCounts[status, default: 0] += delta }
}

struct SpendTotals: Sendable {
    var dayStart: Int64
    var dayUSD: Double
    var monthStart: Int64
    var monthUSD: Double
}

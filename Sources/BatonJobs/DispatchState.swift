import BatonCore
import BatonJSON
import BatonStore
import BatonWorkerProtocol

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

    static func load(from conn: Connection, now: Int64, settings: DispatchSettings) throws -> DispatchState {
        let staleAfterMs = settings.staleAfterMs
        var state = DispatchState()
        for row in try conn.query("SELECT status, count(*) AS n FROM jobs GROUP BY status") {
            if let status = JobStatus(rawValue: try row.decode("status")) {
                state.statusCounts[status] = try row.decode("n")
            }
        }
        for row in try conn.query(
            """
            SELECT w.tenant AS tenant, w.instance AS instance, status, tags, provider, providers, capacity, load,
                models, node_url, version, paused, first_seen_at, last_heartbeat_ms, jobs_completed, jobs_failed,
                coalesce(i.workspaces, '[]') AS workspaces, top_models,
                coalesce(i.workspace_usage, '{}') AS workspace_usage
            FROM workers w LEFT JOIN worker_inventories i ON i.tenant = w.tenant AND i.instance = w.instance
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
                    .compactMapValues { try? WorkspaceUsage(json: $0) })
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
        // Oldest first, so the bound keeps each tenant's most recent issues.
        for row in try conn.query(
            """
            SELECT tenant, issue, worker FROM jobs WHERE id IN (SELECT max(id) FROM jobs
                WHERE issue IS NOT NULL AND worker IS NOT NULL GROUP BY tenant, issue) ORDER BY id
            """)
        {
            if let issue = row.string("issue"), let worker = row.string("worker") {
                state.tenants[try row.decode("tenant"), default: TenantBoard()].lastWorkerByIssue.set(
                    issue, worker, limit: settings.stickyIssues)
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

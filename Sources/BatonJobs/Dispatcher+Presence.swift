import BatonCore
import BatonJSON
import BatonStore
import BatonWorkerProtocol

extension Dispatcher {
    /// A worker as the API shows it.
    public struct WorkerView: Sendable, Equatable {
        public var tenant: String
        public var entry: WorkerEntry
        public var online: Bool

        public var json: JSONValue {
            let r = entry.report
            return [
                "instance": .string(entry.instance), "status": .string(r.status.rawValue), "online": .bool(online),
                "paused": .bool(entry.paused), "tags": .array(r.tags.map(JSONValue.string)),
                "provider": .string(r.provider), "providers": .array(r.allProviders.map(JSONValue.string)),
                "capacity": .int(Int64(r.capacity)), "load": .int(Int64(r.load)),
                "active_jobs": .int(Int64(entry.active)), "tier": .string(entry.tier.rawValue),
                "models": .array(r.models.map(\.json)),
                "top_models": .array(r.topModels.map(\.json)), "node_url": r.nodeURL.map(JSONValue.string) ?? .null,
                "version": r.version.map(JSONValue.string) ?? .null,
                "workspaces": .array(r.workspaces.map(JSONValue.string)),
                "last_heartbeat_at": .string(Timestamp.format(milliseconds: entry.lastHeartbeatMs)),
                "first_seen_at": .string(entry.firstSeenAt),
                "jobs_completed": .int(Int64(entry.completed)), "jobs_failed": .int(Int64(entry.failed)),
            ]
        }
    }

    public struct PresenceAnswer: Sendable {
        public var worker: WorkerView
        public var commands: [WorkerCommand]
        public var heartbeatIntervalS: Int64
        public var staleAfterS: Int64
    }

    // MARK: Reading workers

    public func workers(tenant: String, onlineOnly: Bool = false) -> [WorkerView] {
        let now = clock.now()
        let stale = settings.staleAfterMs
        let entries = state.withLock { $0.tenants[tenant]?.workers.values ?? [] }
        return entries.map { WorkerView(tenant: tenant, entry: $0, online: $0.isOnline(now: now, staleAfterMs: stale)) }
            .filter { !onlineOnly || $0.online }.sorted { $0.entry.instance < $1.entry.instance }
    }

    public func worker(_ instance: String, tenant: String) throws -> WorkerView {
        guard let entry = state.withLock({ $0.tenants[tenant]?.workers[instance] }) else {
            throw DispatchError.notFound("no worker \(JSONText.quote(instance))")
        }
        return WorkerView(
            tenant: tenant, entry: entry,
            online: entry.isOnline(now: clock.now(), staleAfterMs: settings.staleAfterMs))
    }

    // MARK: Presence

    /// How stale the stored heartbeat of an unchanged, online worker may get before a heartbeat
    /// writes it again: an idle coordinator writes nothing between (SPEC §6.7).
    public static let persistHeartbeatMs: Int64 = 60_000

    /// A heartbeat: registers or refreshes the worker, announces it when it comes online, hands
    /// over pending commands, and dispatches whatever it can now take.
    public func presence(_ report: PresenceReport, tenant: String) async throws -> PresenceAnswer {
        if let answer = quietPresence(report, tenant: tenant) { return answer }
        // A worker that came online goes stale at its heartbeat + stale_after: the sweeper may
        // be sleeping past that (SPEC §6.7).
        defer { sweep(by: clock.now() + settings.staleAfterMs) }
        return try await mutate { txn in
            let previous = txn.board(tenant).workers[report.instance]
            let heartbeat = txn.now
            try txn.conn.execute(
                """
                INSERT INTO workers (tenant, instance, status, tags, provider, providers, capacity, load, models,
                    node_url, version, first_seen_at, last_heartbeat_ms, top_models)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                ON CONFLICT (tenant, instance) DO UPDATE SET status = excluded.status, tags = excluded.tags,
                    provider = excluded.provider, providers = excluded.providers, capacity = excluded.capacity,
                    load = excluded.load, models = excluded.models, node_url = excluded.node_url,
                    version = excluded.version, last_heartbeat_ms = excluded.last_heartbeat_ms,
                    top_models = excluded.top_models
                """,
                [
                    .text(tenant), .text(report.instance), .text(report.status.rawValue),
                    .text(StringListColumn.encode(report.tags)), .text(report.provider),
                    .text(StringListColumn.encode(report.providers)), .integer(Int64(report.capacity)),
                    .integer(Int64(report.load)), .text(Job.encodeModels(report.models)),
                    report.nodeURL.map(SQLValue.text) ?? .null, report.version.map(SQLValue.text) ?? .null,
                    .text(txn.nowText), .integer(heartbeat), .text(Job.encodeModels(report.topModels)),
                ])
            // The inventory (up to thousands of workspaces) has a row of its own, written only when
            // it changed: memory holds what is stored (a failed write reloads it).
            if previous.map({
                $0.report.workspaces != report.workspaces || $0.report.workspaceUsage != report.workspaceUsage
            }) ?? true {
                try txn.conn.execute(
                    """
                    INSERT INTO worker_inventories (tenant, instance, workspaces, workspace_usage)
                    VALUES (?1, ?2, ?3, ?4)
                    ON CONFLICT (tenant, instance) DO UPDATE SET workspaces = excluded.workspaces,
                        workspace_usage = excluded.workspace_usage
                    """,
                    [
                        .text(tenant), .text(report.instance), .text(StringListColumn.encode(report.workspaces)),
                        .text(JSONValue.object(report.workspaceUsage.mapValues(\.json)).text),
                    ])
            }
            var entry =
                previous
                ?? WorkerEntry(report: report, lastHeartbeatMs: heartbeat, firstSeenAt: txn.nowText, online: false)
            entry.update(report)
            entry.lastHeartbeatMs = heartbeat
            entry.persistedHeartbeatMs = heartbeat
            let online = entry.isOnline(now: txn.now, staleAfterMs: txn.settings.staleAfterMs)
            if online != entry.online {
                try txn.emit(
                    online ? "worker.online" : "worker.offline", tenant: tenant,
                    [
                        "instance": .string(report.instance),
                        "reason": .string(online ? "heartbeat" : "reported offline"),
                    ])
            }
            entry.online = online
            // A workspace the last report had and this one does not was removed on the worker.
            if let previous {
                let kept = Set(report.workspaces)
                for name in previous.report.workspaces where !kept.contains(name) {
                    try txn.emit(
                        "workspace.removed", tenant: tenant, issue: IssueIdentifier.isValid(name) ? name : nil,
                        ["worker": .string(report.instance), "workspace": .string(name)])
                }
            }
            txn.state.tenants[tenant, default: TenantBoard()].workers[report.instance] = entry
            if !online {
                try txn.takeBackAssigned(tenant: tenant, worker: report.instance, reason: "worker reported offline")
            }
            var commands: [WorkerCommand] = []
            if txn.board(tenant).workersWithCommands.contains(report.instance) {
                let rows = try txn.conn.query(
                    """
                    SELECT id, command FROM worker_commands WHERE tenant = ?1 AND instance = ?2 AND delivered_at IS NULL
                    ORDER BY id
                    """, [.text(tenant), .text(report.instance)])
                try txn.conn.execute(
                    """
                    UPDATE worker_commands SET delivered_at = ?3 WHERE tenant = ?1 AND instance = ?2
                        AND delivered_at IS NULL
                    """, [.text(tenant), .text(report.instance), .text(txn.nowText)])
                commands = rows.compactMap { row in
                    row.string("command").flatMap { try? WorkerCommand(json: JSONParser.parse(Array($0.utf8))) }
                }
                txn.state.tenants[tenant]?.workersWithCommands.remove(report.instance)
            }
            try txn.schedule(tenant)
            let final = txn.board(tenant).workers[report.instance] ?? entry
            return PresenceAnswer(
                worker: WorkerView(tenant: tenant, entry: final, online: online), commands: commands,
                heartbeatIntervalS: txn.settings.heartbeatIntervalS, staleAfterS: txn.settings.staleAfterMs / 1000)
        }
    }

    /// The heartbeat of an online worker whose report is the one already stored, with no command
    /// waiting and no job waiting for it, while its stored heartbeat is fresh: only memory moves
    /// (the sweeper reads `lastHeartbeatMs` there). Nil when anything would be written.
    func quietPresence(_ report: PresenceReport, tenant: String) -> PresenceAnswer? {
        let now = clock.now()
        let settings = self.settings
        return state.withLock { state -> PresenceAnswer? in
            // The board is read in a scope of its own and changed in place afterwards: a copy
            // alive across the change would copy the whole fleet.
            let quiet: WorkerEntry? = {
                guard let board = state.tenants[tenant], let entry = board.workers[report.instance], entry.online,
                    report.status != .offline, entry.report == report,
                    now - entry.persistedHeartbeatMs < Self.persistHeartbeatMs,
                    now - entry.lastHeartbeatMs < settings.staleAfterMs,
                    !board.workersWithCommands.contains(report.instance), board.pending.count == 0
                else { return nil }
                return entry
            }()
            guard var entry = quiet else { return nil }
            entry.lastHeartbeatMs = now
            state.tenants[tenant]?.workers[report.instance]?.lastHeartbeatMs = now
            return PresenceAnswer(
                worker: WorkerView(tenant: tenant, entry: entry, online: true), commands: [],
                heartbeatIntervalS: settings.heartbeatIntervalS, staleAfterS: settings.staleAfterMs / 1000)
        }
    }
}

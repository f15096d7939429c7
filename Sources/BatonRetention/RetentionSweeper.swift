import BatonCore
import BatonIssues
import BatonJobs
import BatonStore
import Synchronization

/// Prunes what `RetentionSettings` no longer keeps (SPEC §1.4): one table at a time, in
/// transactions of at most `batch_rows` rows queued behind the hot path's writes on the single
/// writer, then gives the freed pages back to the file system.
public final class RetentionSweeper: Sendable {
    let dispatcher: Dispatcher
    let database: Database
    private let settingsBox: Mutex<RetentionSettings>
    private let now: @Sendable () -> Int64
    private let removedCounter: CounterFamily?
    private let vacuumedCounter: Counter?

    /// What one pass removed, by table (`attempt_prompts` counts prompts cleared).
    public struct Pass: Sendable, Equatable {
        public var removed: [String: Int] = [:]
        public var pagesFreed = 0
        public var total: Int { removed.values.reduce(0, +) }
    }

    /// `now` is milliseconds since 1970: the dispatcher's clock unless a test gives its own.
    public init(
        dispatcher: Dispatcher, settings: RetentionSettings, metrics: MetricsRegistry? = nil,
        now: (@Sendable () -> Int64)? = nil
    ) {
        self.dispatcher = dispatcher
        self.database = dispatcher.database
        self.settingsBox = Mutex(settings)
        self.now = now ?? { [dispatcher] in dispatcher.now }
        removedCounter = try? metrics?.counter(
            name: "baton_retention_removed_total", help: "Rows removed (or prompts cleared) by retention, by table.",
            labelNames: ["table"])
        vacuumedCounter =
            (try? metrics?.counter(
                name: "baton_retention_pages_freed_total",
                help: "Database pages given back to the file system after pruning."))?.labels()
        for table in Self.tables { _ = removedCounter?.labels(table) }
    }

    static let tables = [
        "events", "jobs", "worker_commands", "webhook_deliveries", "attempt_prompts", "issues", "cost_ledger",
        "agent_activities", "agent_sessions",
    ]

    public var settings: RetentionSettings { settingsBox.withLock { $0 } }

    /// Takes settings from `config` now and whenever it changes.
    public func follow(_ config: ConfigStore) {
        settingsBox.withLock { $0 = RetentionSettings(config: config.effective) }
        config.onChange { [weak self] effective in
            self?.settingsBox.withLock { $0 = RetentionSettings(config: effective) }
        }
    }

    /// One pruning pass over every table whose retention is set.
    public func runOnce() async throws -> Pass {
        let settings = self.settings
        let nowMs = now()
        @Sendable func cutoff(_ seconds: Int64) -> String {
            Timestamp.format(milliseconds: nowMs - min(seconds, nowMs / 1000) * 1000)
        }
        let limit = settings.batchRows
        var pass = Pass()
        if let seconds = settings.events {
            pass.removed["events"] = try await drain(table: "events", created: "at", before: cutoff(seconds)) {
                conn, walk in
                try EventBus.prune(conn, &walk, before: cutoff(seconds), limit: limit)
            }
        }
        if let seconds = settings.jobs {
            let before = cutoff(seconds)
            var removed = 0
            if try await hasRows(in: "jobs", created: "created_at", before: before) {
                var walk = AgedRows(table: "jobs", createdColumn: "created_at")
                while !walk.isDone {
                    let batch = try await dispatcher.pruneFinishedJobs(
                        walk, before: before, limit: limit, release: Orchestrator.releaseAttempts)
                    walk = batch.walk
                    removed += batch.removed
                    await Task.yield()
                }
            }
            pass.removed["jobs"] = removed
            removed = 0
            if try await hasRows(in: "worker_commands", created: "created_at", before: before) {
                var walk = AgedRows(table: "worker_commands", createdColumn: "created_at")
                while !walk.isDone {
                    let batch = try await dispatcher.pruneDeliveredCommands(walk, before: before, limit: limit)
                    walk = batch.walk
                    removed += batch.removed
                    await Task.yield()
                }
            }
            pass.removed["worker_commands"] = removed
            // Agent sessions' settled activities, then the sessions they leave empty (SPEC §9.15).
            pass.removed["agent_activities"] = try await drain(
                table: "agent_activities", created: "created_at", before: before
            ) { conn, walk in
                try Orchestrator.pruneAgentActivities(conn, &walk, before: before, limit: limit)
            }
            pass.removed["agent_sessions"] = try await drain(
                table: "agent_sessions", created: "created_at", before: before
            ) { conn, walk in
                try Orchestrator.pruneAgentSessions(conn, &walk, before: before, limit: limit)
            }
        }
        if let seconds = settings.webhookDeliveries {
            pass.removed["webhook_deliveries"] = try await drain(
                table: "webhook_deliveries", created: "received_at", before: cutoff(seconds)
            ) { conn, walk in
                try WebhookInbox.prune(conn, &walk, before: cutoff(seconds), limit: limit)
            }
        }
        if let seconds = settings.attemptPrompts {
            pass.removed["attempt_prompts"] = try await drain(
                table: "attempts", created: "started_at", before: cutoff(seconds)
            ) {
                conn, walk in
                try Orchestrator.pruneAttemptPrompts(conn, &walk, before: cutoff(seconds), limit: limit)
            }
        }
        if let seconds = settings.releasedIssues {
            // Issues change after they are made, so no rowid walk: the index of released issues
            // by their last change finds them (none found is a read, and nothing is written).
            let before = cutoff(seconds)
            var removed = 0
            let oldest = try await database.read { try Orchestrator.oldestReleasedIssue($0) }
            if let oldest, oldest < before {
                var count = limit
                while count == limit {
                    count = try await database.write { conn in
                        try Orchestrator.pruneReleasedIssues(conn, before: before, limit: limit)
                    }
                    removed += count
                    await Task.yield()
                }
            }
            pass.removed["issues"] = removed
        }
        if let seconds = settings.costLedger {
            pass.removed["cost_ledger"] = try await drain(table: "cost_ledger", created: "at", before: cutoff(seconds))
            {
                conn, walk in
                try CostLedger.prune(conn, &walk, before: cutoff(seconds), limit: limit)
            }
        }
        for (table, count) in pass.removed where count > 0 { removedCounter?.labels(table).inc(by: Double(count)) }
        if pass.total > 0 {
            pass.pagesFreed = try await giveBackFreePages()
            vacuumedCounter?.inc(by: Double(pass.pagesFreed))
        }
        return pass
    }

    /// Share of the file that must be free before it is given back (SPEC §1.4).
    static let vacuumFreeShare = 4
    /// Pages moved per incremental-vacuum transaction, so other writes get in between.
    static let vacuumChunkPages = 2048

    /// Gives the free pages back once a quarter of the file or more is free. Under a steady
    /// load a pass frees about what the next seconds of inserts reuse: moving those pages to the
    /// end of the file and growing it again was most of the writer's work in a soak (and held
    /// it, exclusive, for the whole vacuum). After a load, the passes that empty the tables free
    /// far more than a quarter, and the file shrinks then.
    func giveBackFreePages() async throws -> Int {
        let (free, total) = try await database.pageCounts()
        guard free > 0, free * Self.vacuumFreeShare >= total else { return 0 }
        var freed = 0
        while freed < free {
            let n = try await database.incrementalVacuum(pages: min(Self.vacuumChunkPages, free - freed))
            guard n > 0 else { break }
            freed += n
            await Task.yield()
        }
        return freed
    }

    /// Whether the table's first row was made before `cutoff`: a read, so a pass with nothing to
    /// prune writes nothing (an idle coordinator stays idle, SPEC §6.7).
    private func hasRows(in table: String, created: String, before cutoff: String) async throws -> Bool {
        let oldest = try await database.read { conn in
            try conn.scalar("SELECT \(created) FROM \(table) ORDER BY rowid LIMIT 1")?.stringValue
        }
        return oldest.map { $0 < cutoff } ?? false
    }

    /// Runs `prune` one transaction at a time until the walk reaches rows that are kept.
    private func drain(
        table: String, created: String, before cutoff: String,
        _ prune: @escaping @Sendable (Connection, inout AgedRows) throws -> Int
    ) async throws -> Int {
        guard try await hasRows(in: table, created: created, before: cutoff) else { return 0 }
        var walk = AgedRows(table: table, createdColumn: created)
        var removed = 0
        while !walk.isDone {
            let current = walk
            let (next, count) = try await database.write { conn in
                var walk = current
                let count = try prune(conn, &walk)
                return (walk, count)
            }
            walk = next
            removed += count
            // Between batches, whatever else is queued for the writer goes first.
            await Task.yield()
        }
        return removed
    }

    /// Passes every `retention.interval_s` until the task is cancelled; a failed pass is logged and
    /// the next one tries again.
    public func run(log: @escaping @Sendable (String) -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(settings.intervalSeconds))
            if Task.isCancelled { return }
            do {
                let pass = try await runOnce()
                if pass.total > 0 {
                    let parts = pass.removed.filter { $0.value > 0 }.sorted { $0.key < $1.key }
                        .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                    log("retention: removed \(parts); \(pass.pagesFreed) pages given back")
                }
            } catch {
                log("error: retention pass failed: \(error)")
            }
        }
    }
}

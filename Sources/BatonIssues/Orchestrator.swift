import BatonCore
import BatonJSON
import BatonJobs
import BatonPlatform
import BatonStore
import BatonTemplates
import Synchronization

/// The one owner of issues and attempts. Every change runs as one dispatcher transaction, so an
/// issue's state, its attempt and that attempt's job change together or not at all, and a crash
/// leaves nothing half-done. What it decides comes from the rows, never from memory, so a restart
/// resumes exactly where it stopped (retry timers are `retry_at_ms`).
public final class Orchestrator: Sendable {
    let dispatcher: Dispatcher
    let database: Database
    let settingsBox: Mutex<OrchestratorSettings>
    let wakeSignal = WakeSignal()
    /// Signalled when agent activities were stored, so `AgentActivitySender` sends them at once.
    let agentActivities = WakeSignal()
    /// When a refresh was asked for and not yet begun (later asks coalesce into it).
    let pendingRefresh = Mutex<String?>(nil)
    /// Tenants that have issues (nil until first read from the table).
    let knownTenants = Mutex<Set<String>?>(nil)
    /// Tenants noted before that first read ended: merged into it, so an issue stored while the
    /// table was being read is not missed (its tenant would otherwise wait for a restart).
    let notedTenants = Mutex<Set<String>>([])
    /// Whether a job changed since the last reconciliation, and when that was (ms).
    let reconcileState = Mutex<(jobsChanged: Bool, lastReconcile: Int64)>((true, 0))

    let metrics: OrchestratorMetrics?

    public init(dispatcher: Dispatcher, settings: OrchestratorSettings, metrics registry: MetricsRegistry? = nil) {
        self.dispatcher = dispatcher
        self.database = dispatcher.database
        self.settingsBox = Mutex(settings)
        self.metrics = registry.map(OrchestratorMetrics.init(registry:))
    }

    /// Runs `body` as one issue transaction inside one dispatcher transaction (SPEC §9): both
    /// commit or neither; the issue metrics are recorded after the commit.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (inout IssueTxn) throws -> T) async throws -> T {
        let (value, observed) = try await dispatcher.mutate { jobs -> (T, IssueTxn.Observations) in
            var txn = IssueTxn(jobs: jobs.handOver())
            defer { swap(&jobs, &txn.jobs) }
            let value = try body(&txn)
            return (value, txn.observations)
        }
        metrics?.record(observed)
        if observed.agentActivities > 0 { agentActivitiesQueued() }
        return value
    }

    public var settings: OrchestratorSettings { settingsBox.withLock { $0 } }

    /// The Linear app user Baton's token acts as (`viewer`), once known: agent session events for
    /// another app user (another installation of the app, another workspace) are not acted on.
    let agentAppUser = Mutex<String?>(nil)
    public func setAgentAppUser(_ id: String?) { agentAppUser.withLock { $0 = id } }
    public var agentAppUserID: String? { agentAppUser.withLock { $0 } }

    /// The longest steering message, in code points (SPEC §9.8), whoever sends it.
    public static let maxSteerCodePoints = 16_384

    public func apply(_ settings: OrchestratorSettings) {
        settingsBox.withLock { $0 = settings }
        wake()
    }

    /// Follows the effective configuration.
    public func follow(_ config: ConfigStore) {
        config.onChange { [weak self] effective in self?.apply(OrchestratorSettings(config: effective)) }
    }

    /// Tells the activity sender something is waiting (SPEC §9.15).
    public func agentActivitiesQueued() { agentActivities.signal() }

    /// Asks the loop for a tick now (a webhook, a finished job, an operator's change).
    public func wake() { wakeSignal.signal() }

    /// A tenant has issues now (ticks visit it from here on).
    func noteTenant(_ tenant: String) {
        notedTenants.withLock { _ = $0.insert(tenant) }
        knownTenants.withLock { known in
            if known != nil { known!.insert(tenant) }
        }
    }

    var now: Int64 { dispatcher.now }

    /// `POST /api/v1/refresh`: a tick as soon as the loop can; asks that arrive before it begins
    /// join the one already waiting. Returns when it was asked and whether it joined another.
    public func requestRefresh() -> (requestedAt: String, coalesced: Bool) {
        let (requestedAt, coalesced) = pendingRefresh.withLock { pending -> (String, Bool) in
            if let at = pending { return (at, true) }
            let at = Timestamp.now()
            pending = at
            return (at, false)
        }
        wake()
        return (requestedAt, coalesced)
    }

    // MARK: The tracker's news

    /// A created or updated issue: stored, then moved as its tracker state says: an active one
    /// (with the required labels) is queued if Baton was not working on it; one that left the
    /// active states is released, its attempt stopped; a terminal one also loses its workspace.
    @discardableResult
    public func ingest(_ issue: TrackedIssue, tenant: String, actor: String) async throws -> IssueRecord {
        let settings = self.settings
        let record = try await transaction { txn in
            try txn.ingest(issue, tenant: tenant, actor: actor, settings: settings)
        }
        noteTenant(tenant)
        wake()
        return record
    }

    /// A removed issue (Linear's Issue remove): released, its attempt stopped and workspace removed.
    public func remove(_ identifier: String, tenant: String, actor: String) async throws {
        try await transaction { txn in try txn.removeIssue(identifier, tenant: tenant, actor: actor) }
        wake()
    }

    /// A comment: on a running issue, one that starts with the steer prefix steers its agent.
    /// Returns whether it did.
    @discardableResult
    public func comment(on identifier: String, body: String, tenant: String) async throws -> Bool {
        let prefix = settings.steerPrefix
        let text = body.drop { $0.isWhitespace }
        guard !prefix.isEmpty, text.hasPrefix(prefix) else { return false }
        let message = text.dropFirst(prefix.count).trimmingWhitespace
        guard !message.isEmpty else { return false }
        do {
            try await steer(identifier, message: message, tenant: tenant)
            return true
        } catch is IssueError {
            return false
        }
    }

    // MARK: Operators

    /// `POST /api/v1/:id/transition`: queued, aborted or released, where the table allows.
    public func transition(_ identifier: String, to target: IssueState, reason: String, tenant: String, actor: String)
        async throws -> IssueRecord
    {
        let record = try await transaction { txn in
            var record = try txn.issue(identifier, tenant: tenant)
            if let refusal = record.state.refusal(target, by: .operator) {
                throw IssueError.forbiddenTransition(refusal)
            }
            switch target {
            case .released:
                try txn.release(&record, actor: actor, reason: reason, removeWorkspace: false)
            case .aborted:
                try txn.stopAttempt(of: record, as: .aborted, reason: reason)
                try txn.move(&record, to: .aborted, by: .operator, actor: actor, reason: reason)
            default:
                record.cycleAttempts = 0
                try txn.move(&record, to: target, by: .operator, actor: actor, reason: reason)
            }
            return record
        }
        wake()
        return record
    }

    /// `POST /api/v1/:id/abort`.
    public func abort(_ identifier: String, reason: String, tenant: String, actor: String) async throws -> IssueRecord {
        try await transition(identifier, to: .aborted, reason: reason, tenant: tenant, actor: actor)
    }

    /// `POST /api/v1/:id/model`: the next attempt's model; with `restart`, the running attempt is
    /// stopped and the issue retried at once with it.
    public func setModel(_ identifier: String, model: String?, restart: Bool, tenant: String, actor: String)
        async throws -> IssueRecord
    {
        let record = try await transaction { txn in
            var record = try txn.issue(identifier, tenant: tenant)
            if restart && record.state != .running {
                throw IssueError.conflict(
                    "\(identifier) is \(record.state.rawValue), not running: nothing to restart")
            }
            record.modelOverride = model
            try txn.conn.execute(
                "UPDATE issues SET model_override = ?3, updated_at = ?4 WHERE tenant = ?1 AND identifier = ?2",
                [.text(tenant), .text(identifier), model.map(SQLValue.text) ?? .null, .text(txn.nowText)])
            try txn.emit(
                "issue.model", tenant: tenant, issue: identifier,
                [
                    "identifier": .string(identifier), "model": model.map(JSONValue.string) ?? .null,
                    "restart": .bool(restart),
                ])
            if restart {
                try txn.stopAttempt(of: record, as: .aborted, reason: "restarted with model \(model ?? "(default)")")
                record.retryAtMs = txn.now
                try txn.move(&record, to: .retrying, by: .execution, actor: actor, reason: "model changed; restarting")
            }
            return record
        }
        wake()
        return record
    }

    /// `POST /api/v1/:id/steer`: guidance for the running agent, handed over in its worker's next
    /// events answer.
    public func steer(_ identifier: String, message: String, tenant: String) async throws {
        let job = try await database.read { conn -> Int64? in
            guard let record = try IssueRecord.load(identifier, tenant: tenant, from: conn) else {
                throw IssueError.notFound("no issue \(JSONText.quote(identifier))")
            }
            guard record.state == .running else {
                throw IssueError.conflict(
                    "\(identifier) is \(record.state.rawValue); only a running issue can be steered")
            }
            return try AttemptRecord.running(issue: identifier, tenant: tenant, from: conn)?.jobID
        }
        guard let job else { throw IssueError.conflict("\(identifier) has no running attempt to steer") }
        try await dispatcher.steer(job, tenant: tenant, message: message)
    }

    /// `POST /api/v1/:id/template` and `DELETE`: the template the next attempt renders.
    public func setTemplate(_ identifier: String, template: String?, tenant: String, actor: String) async throws
        -> IssueRecord
    {
        try await transaction { txn in
            var record = try txn.issue(identifier, tenant: tenant)
            if let template, try TemplateStore.load(template, tenant: tenant, from: txn.conn) == nil {
                throw IssueError.notFound("no template \(JSONText.quote(template))")
            }
            record.templateOverride = template
            try txn.conn.execute(
                "UPDATE issues SET template_override = ?3, updated_at = ?4 WHERE tenant = ?1 AND identifier = ?2",
                [.text(tenant), .text(identifier), template.map(SQLValue.text) ?? .null, .text(txn.nowText)])
            try txn.emit(
                "issue.template", tenant: tenant, issue: identifier,
                ["identifier": .string(identifier), "template": template.map(JSONValue.string) ?? .null])
            return record
        }
    }

    /// `DELETE /api/v1/templates/:id`: refused while `agent.template` or an issue's override
    /// names it.
    public func deleteTemplate(_ id: String, tenant: String) async throws {
        let inUse = settings.template
        try await database.write { conn in
            guard try TemplateStore.load(id, tenant: tenant, from: conn) != nil else {
                throw TemplateStoreError.notFound("no template \(JSONText.quote(id))")
            }
            if id == inUse { throw TemplateStoreError.conflict("template \(JSONText.quote(id)) is agent.template") }
            let users = try conn.query(
                "SELECT identifier FROM issues WHERE tenant = ?1 AND template_override = ?2 ORDER BY identifier LIMIT 5",
                [.text(tenant), .text(id)]
            ).compactMap { $0.string("identifier") }
            if !users.isEmpty {
                throw TemplateStoreError.conflict(
                    "template \(JSONText.quote(id)) is the override of \(users.joined(separator: ", "))")
            }
            try TemplateStore.delete(id, tenant: tenant, in: conn)
        }
    }

    /// One issue as stored (404 when Baton does not track it).
    public func issue(_ identifier: String, tenant: String) async throws -> IssueRecord {
        try await database.read { conn in
            guard let record = try IssueRecord.load(identifier, tenant: tenant, from: conn) else {
                throw IssueError.notFound("no issue \(JSONText.quote(identifier))")
            }
            return record
        }
    }
}

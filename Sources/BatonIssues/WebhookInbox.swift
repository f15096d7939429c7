import BatonCore
import BatonCrypto
import BatonJobs
import BatonStore
import BatonTemplates

/// Deliveries are written to `webhook_deliveries` before the 200 goes out; processing happens
/// after, and anything left unprocessed (a crash) is processed at the next start.
public final class WebhookInbox: Sendable {
    let database: Database
    let orchestrator: Orchestrator
    let log: @Sendable (String) -> Void
    let arrived = WakeSignal()

    public init(orchestrator: Orchestrator, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.database = orchestrator.database
        self.orchestrator = orchestrator
        self.log = log
    }

    /// Stores a delivery; false when it is a duplicate — this `Linear-Delivery` id, or this very
    /// body (by its SHA-256), was stored before — and nothing was stored. The delivery id is not
    /// signed, so a replayed body under new ids A, A, B, C is stored (and applied) once. A
    /// delivery Baton does not act on is stored already processed, its outcome `ignored: <what>`.
    public func store(id: String, tenant: String, delivery: LinearWebhook.Delivery, body: String) async throws -> Bool {
        let now = Timestamp.now()
        let hash = Self.bodyHash(body)
        let (processedAt, outcome): (SQLValue, SQLValue) =
            if case .ignored(let what) = delivery.effect { (.text(now), .text("ignored: \(what)")) } else {
                (.null, .null)
            }
        return try await database.write { conn in
            try conn.execute(
                """
                INSERT INTO webhook_deliveries (delivery_id, tenant, received_at, type, action, body, body_hash,
                    processed_at, outcome)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING
                """,
                [
                    .text(id), .text(tenant), .text(now), .text(delivery.type), .text(delivery.action), .text(body),
                    .text(hash), processedAt, outcome,
                ])
            return conn.changes > 0
        }
    }

    /// Hex SHA-256 of a delivery's body, as signed.
    static func bodyHash(_ body: String) -> String {
        Hex.encode(SHA256Digest.hash(Array(body.utf8)))
    }

    /// Tells the processing loop a delivery was stored.
    public func notify() { arrived.signal() }

    /// Processes deliveries until cancelled: what a crash left behind first, then each new one
    /// as it is stored (one loop, so no delivery is processed twice).
    public func run() async {
        while !Task.isCancelled {
            await processPending()
            await arrived.wait(timeout: .seconds(5))
        }
    }

    /// Processes every stored delivery not processed yet, oldest first, a batch at a time: the
    /// issue changes of a batch and their "processed" marks are one transaction, so a crash either
    /// keeps both or neither (a delivery is never applied twice, nor lost).
    public func processPending() async {
        while true {
            let pending: [(String, String, String)]
            do {
                pending = try await database.read { conn in
                    try conn.query(
                        """
                        SELECT delivery_id, tenant, body FROM webhook_deliveries WHERE processed_at IS NULL
                        ORDER BY received_at, rowid LIMIT 500
                        """
                    ).map {
                        ($0.string("delivery_id") ?? "", $0.string("tenant") ?? "default", $0.string("body") ?? "")
                    }
                }
            } catch {
                log("webhooks: cannot read pending deliveries: \(error)")
                return
            }
            guard !pending.isEmpty else { return }
            await process(pending)
        }
    }

    func process(_ pending: [(id: String, tenant: String, body: String)]) async {
        // Issue changes go in one transaction with their marks; comments steer through the
        // dispatcher afterwards (they change a job, not an issue).
        var outcomes: [(id: String, outcome: String)] = []
        var changes: [(id: String, tenant: String, effect: LinearWebhook.Effect)] = []
        var comments: [(id: String, tenant: String, issue: String?, issueID: String?, body: String)] = []
        for (id, tenant, body) in pending {
            do {
                // Stored unprocessed, an AgentSessionEvent was accepted in agent mode (SPEC §9.15).
                let delivery = try LinearWebhook.parse(Array(body.utf8), agentSessions: true)
                switch delivery.effect {
                case .upsert, .remove, .agentSession: changes.append((id, tenant, delivery.effect))
                case .comment(let issue, let issueID, let text): comments.append((id, tenant, issue, issueID, text))
                case .ignored(let why): outcomes.append((id, "ignored: \(why)"))
                }
            } catch {
                outcomes.append((id, "error: \(error)"))
            }
        }
        let settings = orchestrator.settings
        let appUser = orchestrator.agentAppUserID
        let now = Timestamp.now()
        let marks = outcomes
        let batch = changes
        let steers: [(identifier: String, message: String, tenant: String)]
        do {
            steers = try await orchestrator.transaction { txn in
                var steers: [(identifier: String, message: String, tenant: String)] = []
                var all = marks
                for change in batch {
                    // One bad delivery must not undo the batch: each is a savepoint of its own.
                    var outcome = ""
                    let failure = try txn.savepoint { txn in
                        switch change.effect {
                        case .upsert(let issue):
                            let record = try txn.ingest(
                                issue, tenant: change.tenant, actor: "webhook", settings: settings)
                            outcome = "\(issue.identifier) is \(record.state.rawValue)"
                        case .remove(let identifier):
                            try txn.removeIssue(identifier, tenant: change.tenant, actor: "webhook")
                            outcome = "\(identifier) removed"
                        case .agentSession(let event):
                            if let own = appUser, event.appUserID != own {
                                outcome = "ignored: a session of app user \(event.appUserID), not Baton's (\(own))"
                                break
                            }
                            let applied = try txn.applyAgentSession(event, tenant: change.tenant, settings: settings)
                            outcome = applied.outcome
                            if let steer = applied.steer { steers.append((steer.0, steer.1, change.tenant)) }
                        default:
                            break
                        }
                    }
                    all.append((change.id, failure.map { "error: \($0)" } ?? outcome))
                }
                for (id, outcome) in all { try Self.mark(id, outcome, at: now, in: txn.conn) }
                return steers
            }
        } catch {
            log("webhooks: cannot apply \(changes.count) deliveries: \(error)")
            return
        }
        for tenant in Set(changes.map(\.tenant)) { orchestrator.noteTenant(tenant) }
        if !changes.isEmpty { orchestrator.wake() }
        if changes.contains(where: { if case .agentSession = $0.effect { true } else { false } }) {
            orchestrator.agentActivitiesQueued()
        }
        for steer in steers {
            let outcome = await orchestrator.steerPrompt(steer.identifier, message: steer.message, tenant: steer.tenant)
            if let outcome { log("agent session: \(outcome)") }
        }
        for comment in comments {
            var outcome: String
            do {
                outcome = try await steer(
                    issue: comment.issue, issueID: comment.issueID, body: comment.body, tenant: comment.tenant)
            } catch {
                outcome = "error: \(error)"
            }
            let recorded = outcome
            try? await database.write { conn in try Self.mark(comment.id, recorded, at: now, in: conn) }
        }
    }

    static func mark(_ id: String, _ outcome: String, at now: String, in conn: Connection) throws {
        try conn.execute(
            "UPDATE webhook_deliveries SET processed_at = ?2, outcome = ?3 WHERE delivery_id = ?1",
            [.text(id), .text(now), .text(outcome)])
    }

    /// A comment's effect: a steer of the running issue it names (by identifier, else by Linear's id).
    func steer(issue: String?, issueID: String?, body: String, tenant: String) async throws -> String {
        var identifier = issue
        if identifier == nil, let issueID {
            identifier = try await database.read { conn in
                try IssueRecord.load(byTrackerID: issueID, tenant: tenant, from: conn)?.tracked.identifier
            }
        }
        guard let identifier else { return "comment on an issue Baton does not track" }
        let steered = try await orchestrator.comment(on: identifier, body: body, tenant: tenant)
        return steered ? "steered \(identifier)" : "comment on \(identifier) ignored"
    }
}

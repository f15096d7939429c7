import BatonCore
import BatonJSON
import BatonStore

/// The rows of Linear agent sessions and the activities Baton owes them (SPEC §9.15): a session
/// is linked to its issue and, through `attempts.agent_session`, to the attempts that work for
/// it; each activity is stored (with Baton's id) before `AgentActivitySender` sends it.
enum AgentSessionRows {
    /// The newest active session of an issue, if any.
    static func active(issue: String, tenant: String, in conn: Connection) throws -> String? {
        try conn.scalar(
            """
            SELECT session_id FROM agent_sessions WHERE tenant = ?1 AND issue = ?2 AND status = 'active'
            ORDER BY updated_at DESC, rowid DESC LIMIT 1
            """, [.text(tenant), .text(issue)])?.stringValue
    }

    /// What an attempt's template sees of the session (`agent_session`), or null.
    static func templateVariable(session: String?, tenant: String, in conn: Connection) throws -> JSONValue {
        guard let session,
            let row = try conn.query(
                """
                SELECT session_id, creator, prompt_context, comment, guidance, previous_comments, last_prompt
                FROM agent_sessions WHERE tenant = ?1 AND session_id = ?2
                """, [.text(tenant), .text(session)]
            ).first
        else { return .null }
        func list(_ column: String) -> JSONValue {
            (row.string(column).flatMap { try? JSONParser.parse(Array($0.utf8)) }) ?? []
        }
        func text(_ column: String) -> JSONValue { row.string(column).map(JSONValue.string) ?? .null }
        return [
            "id": text("session_id"), "creator": text("creator"), "prompt_context": text("prompt_context"),
            "comment": text("comment"), "guidance": list("guidance"), "previous_comments": list("previous_comments"),
            "prompt": text("last_prompt"),
        ]
    }

    /// `GET /api/v1/:id`'s `agent_sessions`: the issue's sessions, newest first (at most 20),
    /// each with its activities (the last 200) and their delivery state.
    static func json(issue: String, tenant: String, in conn: Connection) throws -> JSONValue {
        let sessions = try conn.query(
            """
            SELECT session_id, status, creator, last_prompt, external_url_state, created_at, updated_at
            FROM agent_sessions WHERE tenant = ?1 AND issue = ?2 ORDER BY created_at DESC, rowid DESC LIMIT 20
            """, [.text(tenant), .text(issue)])
        return .array(
            try sessions.map { row in
                let id = row.string("session_id") ?? ""
                let activities = try conn.query(
                    """
                    SELECT id, seq, type, content, ephemeral, state, attempts, last_error, created_at, delivered_at
                    FROM agent_activities WHERE tenant = ?1 AND session_id = ?2 ORDER BY seq DESC LIMIT 200
                    """, [.text(tenant), .text(id)]
                ).reversed().map { a -> JSONValue in
                    func text(_ column: String) -> JSONValue { a.string(column).map(JSONValue.string) ?? .null }
                    return [
                        "id": text("id"), "seq": .int(a.int64("seq") ?? 0), "type": text("type"),
                        "content": a.string("content").flatMap { try? JSONParser.parse(Array($0.utf8)) } ?? .null,
                        "ephemeral": .bool((a.int("ephemeral") ?? 0) != 0), "state": text("state"),
                        "attempts": .int(a.int64("attempts") ?? 0), "last_error": text("last_error"),
                        "created_at": text("created_at"), "delivered_at": text("delivered_at"),
                    ]
                }
                func text(_ column: String) -> JSONValue { row.string(column).map(JSONValue.string) ?? .null }
                return [
                    "id": .string(id), "status": text("status"), "creator": text("creator"),
                    "prompt": text("last_prompt"), "external_link": text("external_url_state"),
                    "created_at": text("created_at"), "updated_at": text("updated_at"),
                    "activities": .array(Array(activities)),
                ]
            })
    }

    /// Actions of one session waiting to be sent, at most (older ones are coalesced).
    static let maxPendingActions = 20

    /// Stores an activity for the session, after the ones before it. A pending ephemeral thought
    /// that a newer activity replaces in Linear anyway is marked `coalesced` and never sent, so
    /// a chatty agent costs Linear one request per activity that stays visible.
    @discardableResult
    static func enqueue(
        _ content: AgentActivityContent, ephemeral: Bool = false, session: String, tenant: String, now: String,
        in conn: Connection
    ) throws -> String {
        let id = AgentActivityID.make()
        try conn.execute(
            """
            UPDATE agent_activities SET state = 'coalesced'
            WHERE tenant = ?1 AND session_id = ?2 AND state = 'pending' AND ephemeral = 1 AND attempts = 0
            """, [.text(tenant), .text(session)])
        try conn.execute(
            """
            INSERT INTO agent_activities (id, tenant, session_id, seq, type, content, ephemeral, created_at)
            VALUES (?1, ?2, ?3,
                (SELECT coalesce(max(seq), 0) + 1 FROM agent_activities WHERE tenant = ?2 AND session_id = ?3),
                ?4, ?5, ?6, ?7)
            """,
            [
                .text(id), .text(tenant), .text(session), .text(content.type), .text(content.json.text),
                .integer(ephemeral ? 1 : 0), .text(now),
            ])
        if content.type == "action" {
            // A busy agent makes actions faster than Linear takes them (activities_per_second for
            // all sessions): past the newest `maxPendingActions` not yet tried, the older ones are
            // coalesced, so the backlog stays bounded and the session shows what is current.
            try conn.execute(
                """
                UPDATE agent_activities SET state = 'coalesced'
                WHERE tenant = ?1 AND session_id = ?2 AND state = 'pending' AND type = 'action' AND attempts = 0
                    AND seq <= (SELECT seq FROM agent_activities WHERE tenant = ?1 AND session_id = ?2
                        AND state = 'pending' AND type = 'action' AND attempts = 0
                        ORDER BY seq DESC LIMIT 1 OFFSET ?3)
                """, [.text(tenant), .text(session), .integer(Int64(maxPendingActions))])
        }
        return id
    }
}

/// What applying a session event asks of the orchestrator once its transaction has committed.
struct AgentSessionOutcome: Sendable {
    var outcome: String
    /// A prompt for a running attempt: steered after the commit (the dispatcher's own change).
    var steer: (identifier: String, message: String)?
}

extension IssueTxn {
    /// An issue with an active session tells it how its attempt ended (SPEC §9.15), in the
    /// transaction that moved it: `completed` → `response` with the job's result, `failed` →
    /// `error`, `blocked` → `elicitation` (the agent needs input), `retrying` → an ephemeral
    /// `thought`, `aborted` or `released` → a `response` saying so. All but `blocked` and
    /// `retrying` end the session (a prompt revives it).
    mutating func tellAgentSession(_ record: IssueRecord, moved target: IssueState, reason: String) throws {
        guard [.completed, .failed, .blocked, .retrying, .aborted, .released].contains(target),
            let session = try AgentSessionRows.active(issue: record.tracked.identifier, tenant: record.tenant, in: conn)
        else { return }
        let identifier = record.tracked.identifier
        // A reason can be an agent's or a worker's text: held to what Linear's session shows.
        let reason = reason.count > 4000 ? String(reason.prefix(3999)) + "…" : reason
        let content: AgentActivityContent
        switch target {
        case .completed:
            let result = try conn.scalar(
                """
                SELECT j.result FROM attempts a JOIN jobs j ON j.id = a.job_id
                WHERE a.tenant = ?1 AND a.issue = ?2 ORDER BY a.number DESC LIMIT 1
                """, [.text(record.tenant), .text(identifier)])?.stringValue
            let summary = result.map { "\n\n" + String($0.prefix(4000)) } ?? ""
            content = .response("Baton completed \(identifier) (attempt \(record.attempts)).\(summary)")
        case .failed:
            content = .error("Baton gave up on \(identifier): \(reason)")
        case .blocked:
            content = .elicitation("Baton needs your input on \(identifier): \(reason)")
        case .aborted, .released:
            // Stopped by an operator or let go (terminal or removed in the tracker): the session
            // gets its last word and ends, instead of staying open for ever.
            content = .response("Baton stopped working on \(identifier): \(reason)")
        default:
            content = .thought("Attempt \(record.attempts) of \(identifier) failed: \(reason). Baton will retry.")
        }
        try AgentSessionRows.enqueue(
            content, ephemeral: target == .retrying, session: session, tenant: record.tenant, now: nowText, in: conn)
        observations.agentActivities += 1
        if target != .blocked && target != .retrying {
            try conn.execute(
                "UPDATE agent_sessions SET status = 'ended', updated_at = ?3 WHERE tenant = ?1 AND session_id = ?2",
                [.text(record.tenant), .text(session), .text(nowText)])
        }
    }

    /// `created`: the session is stored, a `thought` acknowledging it is queued at once (Linear
    /// shows an agent that says nothing within 10 s as unresponsive), and the issue's attempt is
    /// started or resumed: a running attempt goes on, with the session linked to it; any other
    /// issue is queued, with its cycle count reset as an operator's requeue would. `prompted`:
    /// the `stop` signal aborts the running attempt and answers with a `response`; another prompt
    /// steers the running attempt, or queues a follow-up attempt that sees it as
    /// `agent_session.prompt`.
    mutating func applyAgentSession(
        _ event: AgentSessionEvent, tenant: String, settings: OrchestratorSettings = OrchestratorSettings()
    ) throws -> AgentSessionOutcome {
        let session = event.sessionID
        let known = try conn.scalar(
            "SELECT issue FROM agent_sessions WHERE tenant = ?1 AND session_id = ?2", [.text(tenant), .text(session)])
        let guidance = JSONValue.array(event.guidance.map(JSONValue.string)).text
        let previous = JSONValue.array(event.previousComments.map { .string($0.body) }).text
        try conn.execute(
            """
            INSERT INTO agent_sessions (tenant, session_id, issue, issue_tracker_id, status, creator, prompt_context,
                comment, guidance, previous_comments, created_at, updated_at, app_user_id, start_state)
            VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12)
            ON CONFLICT (tenant, session_id) DO UPDATE SET
                prompt_context = coalesce(excluded.prompt_context, prompt_context),
                comment = coalesce(excluded.comment, comment), updated_at = excluded.updated_at
            """,
            [
                .text(tenant), .text(session), event.issue.map { .text($0.identifier) } ?? .null,
                event.issue.map { .text($0.id) } ?? .null, event.creator.map(SQLValue.text) ?? .null,
                event.promptContext.map(SQLValue.text) ?? .null, event.comment.map { .text($0.body) } ?? .null,
                .text(guidance), .text(previous), .text(nowText), .text(event.appUserID),
                .text(event.action == .created && event.issue != nil ? "pending" : "none"),
            ])
        let identifier = event.issue?.identifier ?? known?.stringValue
        guard let identifier else {
            try conn.execute(
                "UPDATE agent_sessions SET status = 'ended' WHERE tenant = ?1 AND session_id = ?2",
                [.text(tenant), .text(session)])
            try AgentSessionRows.enqueue(
                .error("Baton works on issues, and this session is not about one."), session: session, tenant: tenant,
                now: nowText, in: conn)
            observations.agentActivities += 1
            return AgentSessionOutcome(outcome: "agent session \(session) has no issue")
        }
        switch event.action {
        case .created:
            // Linear sends `created` once; a second one for a known session (a retried
            // delivery under a new id) must not requeue work the session already has.
            if known != nil { return AgentSessionOutcome(outcome: "agent session \(session) was already started") }
            // A Baton set up for one team works on that team's issues only, however it is asked.
            if let team = settings.teamKey,
                identifier.prefix(while: { $0 != "-" }).lowercased() != team.lowercased()
            {
                try conn.execute(
                    "UPDATE agent_sessions SET status = 'ended', start_state = 'none' WHERE tenant = ?1 AND session_id = ?2",
                    [.text(tenant), .text(session)])
                try AgentSessionRows.enqueue(
                    .error("Baton works on \(team) issues only, and \(identifier) is not one."), session: session,
                    tenant: tenant, now: nowText, in: conn)
                observations.agentActivities += 1
                return AgentSessionOutcome(outcome: "agent session \(session): \(identifier) is outside team \(team)")
            }
            return try startSession(event, identifier: identifier, tenant: tenant)
        case .prompted:
            return try prompt(event, identifier: identifier, tenant: tenant)
        }
    }

    mutating func startSession(_ event: AgentSessionEvent, identifier: String, tenant: String) throws
        -> AgentSessionOutcome
    {
        let session = event.sessionID
        var record: IssueRecord
        if let existing = try IssueRecord.load(identifier, tenant: tenant, from: conn) {
            record = existing
        } else {
            // Delegated before Baton saw it: stored from the session's issue; its tracker state
            // comes with the next poll or Issue delivery.
            let issue = event.issue
            record = try upsertIssue(
                TrackedIssue(
                    identifier: identifier, trackerID: issue?.id, title: issue?.title ?? "",
                    description: issue?.description ?? "", state: "", priority: 0, labels: [], url: issue?.url,
                    createdAt: nil, project: nil),
                tenant: tenant)
        }
        let reason = "delegated in Linear (agent session \(session))"
        let said: String
        switch record.state {
        case .running:
            if let attempt = try AttemptRecord.running(issue: identifier, tenant: tenant, from: conn) {
                try conn.execute(
                    "UPDATE attempts SET agent_session = ?2 WHERE id = ?1", [.integer(attempt.id), .text(session)])
            }
            said = "Baton is already working on \(identifier); this session follows that attempt."
        case .queued:
            said = "Baton has \(identifier) queued; its attempt starts when a slot is free."
        default:
            record.cycleAttempts = 0
            try move(&record, to: .queued, by: .operator, actor: "agent", reason: reason)
            said = "Baton is starting work on \(identifier)."
        }
        try AgentSessionRows.enqueue(.thought(said), session: session, tenant: tenant, now: nowText, in: conn)
        return AgentSessionOutcome(outcome: "agent session \(session): \(identifier) is \(record.state.rawValue)")
    }

    mutating func prompt(_ event: AgentSessionEvent, identifier: String, tenant: String) throws
        -> AgentSessionOutcome
    {
        let session = event.sessionID
        // A prompt steers as an operator's message does, so it is held to the same length.
        let full = event.prompt?.body ?? ""
        let body = String(String.UnicodeScalarView(full.unicodeScalars.prefix(Orchestrator.maxSteerCodePoints)))
        guard var record = try IssueRecord.load(identifier, tenant: tenant, from: conn) else {
            try AgentSessionRows.enqueue(
                .error("Baton does not track \(identifier)."), session: session, tenant: tenant, now: nowText, in: conn)
            return AgentSessionOutcome(outcome: "agent session \(session): \(identifier) is not tracked")
        }
        if event.prompt?.signal == "stop" {
            // Stop at once (Linear's `stop` signal), then say so with a final response.
            // Nothing more happens in Linear after a stop but the answer: activities still owed
            // are dropped, and the issue is not moved or delegated any more.
            try conn.execute(
                """
                UPDATE agent_sessions SET status = 'stopped', updated_at = ?3,
                    start_state = CASE start_state WHEN 'pending' THEN 'none' ELSE start_state END
                WHERE tenant = ?1 AND session_id = ?2
                """,
                [.text(tenant), .text(session), .text(nowText)])
            try conn.execute(
                """
                UPDATE agent_activities SET state = 'coalesced'
                WHERE tenant = ?1 AND session_id = ?2 AND state = 'pending'
                """, [.text(tenant), .text(session)])
            let said: String
            if record.state == .running || record.state == .queued || record.state == .retrying
                || record.state == .blocked
            {
                let reason = "stopped in Linear (agent session \(session))"
                try stopAttempt(of: record, as: .aborted, reason: reason)
                try move(&record, to: .aborted, by: .operator, actor: "agent", reason: reason)
                said = "Stopped: Baton aborted its work on \(identifier)."
            } else {
                said = "Stopped: Baton was not working on \(identifier) (it is \(record.state.rawValue))."
            }
            try AgentSessionRows.enqueue(.response(said), session: session, tenant: tenant, now: nowText, in: conn)
            return AgentSessionOutcome(outcome: "agent session \(session): stopped \(identifier)")
        }
        try conn.execute(
            """
            UPDATE agent_sessions SET status = 'active', last_prompt = ?3, updated_at = ?4
            WHERE tenant = ?1 AND session_id = ?2
            """, [.text(tenant), .text(session), .text(body), .text(nowText)])
        if record.state == .running {
            try AgentSessionRows.enqueue(
                .thought("Passing this on to the running agent."), ephemeral: true, session: session, tenant: tenant,
                now: nowText, in: conn)
            return AgentSessionOutcome(
                outcome: "agent session \(session): steered \(identifier)", steer: (identifier, body))
        }
        if record.state != .queued {
            record.cycleAttempts = 0
            try move(
                &record, to: .queued, by: .operator, actor: "agent",
                reason: "prompted in Linear (agent session \(session))")
        }
        try AgentSessionRows.enqueue(
            .thought("Baton is starting a follow-up attempt on \(identifier)."), session: session, tenant: tenant,
            now: nowText, in: conn)
        return AgentSessionOutcome(outcome: "agent session \(session): \(identifier) is queued for a follow-up")
    }
}

extension Orchestrator {
    /// A session's prompt for a running attempt, steered once its delivery has committed (SPEC
    /// §9.15). When that attempt ended in between, or the steer is refused, the prompt (already the
    /// session's latest) starts the follow-up attempt a prompt to an idle issue would: it is not
    /// lost. Returns what happened when it was not a plain steer, for the log.
    func steerPrompt(_ identifier: String, message: String, tenant: String) async -> String? {
        do {
            try await steer(identifier, message: message, tenant: tenant)
            return nil
        } catch {
            do {
                _ = try await transition(
                    identifier, to: .queued, reason: "prompted in Linear after its attempt ended", tenant: tenant,
                    actor: "agent")
                return "\(identifier) could not be steered (\(error)); queued for a follow-up instead"
            } catch {
                return "\(identifier) could not be steered nor queued: \(error)"
            }
        }
    }
}

import BatonCore
import BatonJSON
import BatonJobs
import BatonStore
import BatonTemplates

extension Orchestrator {
    /// `GET /api/v1/state`: counts and rows per state, token and cost totals of issue jobs.
    public func stateJSON(tenant: String) async throws -> JSONValue {
        try await database.read { conn in
            let issues = try IssueRecord.all(tenant: tenant, from: conn)
            var counts: [String: JSONValue] = [:]
            var rows: [String: JSONValue] = [:]
            for state in IssueState.allCases {
                let matching = issues.filter { $0.state == state }
                counts[state.rawValue] = .int(Int64(matching.count))
                rows[state.rawValue] = .array(matching.map(\.json))
            }
            let totals = try conn.query(
                """
                SELECT \(CostLedger.saturatingSum("tokens_input")) AS input,
                    \(CostLedger.saturatingSum("tokens_output")) AS output, coalesce(sum(cost_usd), 0) AS cost_usd
                FROM jobs WHERE tenant = ?1 AND issue IS NOT NULL
                """, [.text(tenant)]
            ).first
            return [
                "counts": .object(counts), "issues": .object(rows), "total_issues": .int(Int64(issues.count)),
                "tokens": [
                    "input": .int(totals?.int64("input") ?? 0), "output": .int(totals?.int64("output") ?? 0),
                    "total": .int((totals?.int64("input") ?? 0).addingSaturating(totals?.int64("output") ?? 0)),
                ],
                "cost_usd": .double(totals?.double("cost_usd") ?? 0),
            ]
        }
    }

    /// `GET /api/v1/transitions`: the table, and each tracked issue's allowed operator moves.
    public func transitionsJSON(tenant: String) async throws -> JSONValue {
        let issues = try await database.read { conn in try IssueRecord.all(tenant: tenant, from: conn) }
        return [
            "states": .array(IssueState.allCases.map { .string($0.rawValue) }), "table": IssueState.tableJSON,
            "operator_targets": ["queued", "aborted", "released"],
            "issues": .array(
                issues.map { issue in
                    [
                        "identifier": .string(issue.tracked.identifier), "state": .string(issue.state.rawValue),
                        "allowed": .array(issue.state.operatorMoves.map { .string($0.rawValue) }),
                    ]
                }),
        ]
    }

    /// `GET /api/v1/:id`: the issue, its attempts, its transitions and its recent events.
    public func detailJSON(_ identifier: String, tenant: String) async throws -> JSONValue {
        try await database.read { conn in
            guard let record = try IssueRecord.load(identifier, tenant: tenant, from: conn) else {
                throw IssueError.notFound("no issue \(JSONText.quote(identifier))")
            }
            var body = record.json.objectValue ?? [:]
            body["description"] = .string(record.tracked.description)
            body["attempts"] = .array(try AttemptRecord.list(issue: identifier, tenant: tenant, from: conn).map(\.json))
            body["attempt_count"] = .int(Int64(record.attempts))
            body["transitions"] = .array(
                try conn.query(
                    """
                    SELECT from_state, to_state, actor, reason, at FROM issue_transitions
                    WHERE tenant = ?1 AND issue = ?2 ORDER BY id DESC LIMIT 50
                    """, [.text(tenant), .text(identifier)]
                ).reversed().map { row in
                    [
                        "from": try row.decodeIfPresent("from_state", as: String.self).map(JSONValue.string) ?? .null,
                        "to": .string(try row.decode("to_state")), "actor": .string(try row.decode("actor")),
                        "reason": .string(try row.decode("reason")), "at": .string(try row.decode("at")),
                    ]
                })
            body["recent_events"] = .array(
                try Self.events(
                    conn, "tenant = ?1 AND issue = ?2 ORDER BY id DESC LIMIT 50", [.text(tenant), .text(identifier)]
                ).reversed())
            body["agent_sessions"] = try AgentSessionRows.json(issue: identifier, tenant: tenant, in: conn)
            return .object(body)
        }
    }

    public func attemptsJSON(_ identifier: String, tenant: String) async throws -> JSONValue {
        try await database.read { conn in
            guard try IssueRecord.load(identifier, tenant: tenant, from: conn) != nil else {
                throw IssueError.notFound("no issue \(JSONText.quote(identifier))")
            }
            let attempts = try AttemptRecord.list(issue: identifier, tenant: tenant, from: conn)
            return ["issue": .string(identifier), "attempts": .array(attempts.map(\.json))]
        }
    }

    /// `GET /api/v1/attempts/:aid`: the attempt with its timeline: the events of its issue from
    /// its start to its end.
    public func attemptJSON(_ id: Int64, tenant: String) async throws -> JSONValue {
        try await database.read { conn in
            guard let attempt = try AttemptRecord.load(id, tenant: tenant, from: conn) else {
                throw IssueError.notFound("no attempt \(id)")
            }
            var body = attempt.json.objectValue ?? [:]
            body["timeline"] = .array(
                try Self.events(
                    conn, "tenant = ?1 AND issue = ?2 AND at >= ?3 AND at <= ?4 ORDER BY id LIMIT 1000",
                    [
                        .text(tenant), .text(attempt.issue), .text(attempt.startedAt),
                        .text(attempt.finishedAt ?? "9999"),
                    ]))
            if let job = try attempt.jobID.flatMap({ try Job.load(id: $0, tenant: tenant, from: conn) }) {
                body["worker"] = job.worker.map(JSONValue.string) ?? .null
                body["job_status"] = .string(job.status.rawValue)
                body["tokens"] = ["input": .int(job.tokensInput), "output": .int(job.tokensOutput)]
                body["result"] = job.result.map(JSONValue.string) ?? .null
                body["model_used"] = job.modelUsed.map(JSONValue.string) ?? .null
                body["cost_usd"] = job.costUSD.map(JSONValue.double) ?? .null
                body["report"] = job.report.map(JSONValue.verbatim) ?? .null
            }
            return .object(body)
        }
    }

    static func events(_ conn: Connection, _ condition: String, _ bindings: [SQLValue]) throws -> [JSONValue] {
        try conn.query("SELECT id, type, at, data FROM events WHERE \(condition)", bindings).map { row in
            [
                "id": .int(try row.decode("id")), "type": .string(try row.decode("type")),
                "at": .string(try row.decode("at")), "data": .verbatim(try row.decode("data")),
            ]
        }
    }

    /// What a tracker write-back says about an issue: its tracker id, how many attempts it has had
    /// and its latest attempt's result (nil when the issue is unknown or has no tracker id).
    public struct WriteBackFacts: Sendable, Equatable {
        public var trackerID: String
        public var attempts: Int
        public var latestResult: String?
        /// The issue has a Linear agent session, which says the outcome in Linear itself (SPEC §9.15).
        public var hasAgentSession = false
    }

    public func writeBackFacts(_ identifier: String, tenant: String) async throws -> WriteBackFacts? {
        try await database.read { conn in
            guard
                let row = try conn.query(
                    "SELECT tracker_id, attempts FROM issues WHERE tenant = ?1 AND identifier = ?2",
                    [.text(tenant), .text(identifier)]
                ).first, let trackerID = row.string("tracker_id")
            else { return nil }
            let result = try conn.scalar(
                """
                SELECT j.result FROM attempts a JOIN jobs j ON j.id = a.job_id
                WHERE a.tenant = ?1 AND a.issue = ?2 ORDER BY a.number DESC LIMIT 1
                """, [.text(tenant), .text(identifier)])?.stringValue
            let sessions =
                try conn.scalar(
                    // A session that is open, or still owes Linear what happened (its last
                    // activities pending), tells the outcome itself; one long over does not.
                    """
                    SELECT count(*) FROM agent_sessions s WHERE s.tenant = ?1 AND s.issue = ?2 AND (s.status = 'active'
                        OR EXISTS (SELECT 1 FROM agent_activities a WHERE a.tenant = s.tenant
                            AND a.session_id = s.session_id AND a.state = 'pending'))
                    """,
                    [.text(tenant), .text(identifier)]
                )?.intValue ?? 0
            return WriteBackFacts(
                trackerID: trackerID, attempts: try row.decode("attempts"), latestResult: result,
                hasAgentSession: sessions > 0)
        }
    }
}

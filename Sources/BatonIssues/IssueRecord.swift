import BatonCore
import BatonJSON
import BatonJobs
import BatonStore
import BatonTemplates

/// One row of `issues`: the tracker's view of the issue and Baton's state of it.
public struct IssueRecord: Sendable, Equatable {
    public var tenant: String
    public var tracked: TrackedIssue
    public var state: IssueState
    public var attempts: Int
    public var cycleAttempts: Int
    public var modelOverride: String?
    public var templateOverride: String?
    public var retryAtMs: Int64?
    public var lastError: String?
    public var workspaceCleanup: String?
    public var createdAt: String
    public var updatedAt: String

    static let columns = """
        tenant, identifier, tracker_id, title, description, tracker_state, priority, labels, url, tracker_created_at,
        state, attempts, cycle_attempts, model_override, template_override, retry_at_ms, last_error, workspace_cleanup,
        created_at, updated_at, project
        """

    init(row: Row) {
        tenant = row.string(0) ?? ""
        tracked = TrackedIssue(
            identifier: row.string(1) ?? "", trackerID: row.string(2), title: row.string(3) ?? "",
            description: row.string(4) ?? "", state: row.string(5) ?? "", priority: row.int(6) ?? 0,
            labels: StringListColumn.decode(row.string(7)), url: row.string(8), createdAt: row.string(9),
            project: row.string(20))
        state = IssueState(rawValue: row.string(10) ?? "") ?? .released
        attempts = row.int(11) ?? 0
        cycleAttempts = row.int(12) ?? 0
        modelOverride = row.string(13)
        templateOverride = row.string(14)
        retryAtMs = row.int64(15)
        lastError = row.string(16)
        workspaceCleanup = row.string(17)
        createdAt = row.string(18) ?? ""
        updatedAt = row.string(19) ?? ""
    }

    static func load(_ identifier: String, tenant: String, from conn: Connection) throws -> IssueRecord? {
        try conn.query(
            "SELECT \(columns) FROM issues WHERE tenant = ?1 AND identifier = ?2", [.text(tenant), .text(identifier)]
        ).first.map(IssueRecord.init(row:))
    }

    static func load(byTrackerID id: String, tenant: String, from conn: Connection) throws -> IssueRecord? {
        try conn.query(
            "SELECT \(columns) FROM issues WHERE tenant = ?1 AND tracker_id = ?2", [.text(tenant), .text(id)]
        ).first.map(IssueRecord.init(row:))
    }

    /// Issues matching `condition`, by identifier. No ORDER BY in SQL: with one, SQLite walks
    /// the primary key over every issue instead of using the state and cleanup indexes.
    static func all(tenant: String, from conn: Connection, where condition: String = "1") throws -> [IssueRecord] {
        try conn.query("SELECT \(columns) FROM issues WHERE tenant = ?1 AND (\(condition))", [.text(tenant)])
            .map(IssueRecord.init(row:)).sorted { $0.tracked.identifier < $1.tracked.identifier }
    }

    /// The row of `GET /api/v1/state` and the head of `GET /api/v1/:id`.
    public var json: JSONValue {
        [
            "identifier": .string(tracked.identifier), "title": .string(tracked.title),
            "state": .string(state.rawValue), "tracker_state": .string(tracked.state),
            "priority": .int(Int64(tracked.priority)), "labels": .array(tracked.labels.map(JSONValue.string)),
            "url": tracked.url.map(JSONValue.string) ?? .null, "attempts": .int(Int64(attempts)),
            "model_override": modelOverride.map(JSONValue.string) ?? .null,
            "template_override": templateOverride.map(JSONValue.string) ?? .null,
            "retry_at": retryAtMs.map { .string(Timestamp.format(milliseconds: $0)) } ?? .null,
            "last_error": lastError.map(JSONValue.string) ?? .null, "created_at": .string(createdAt),
            "updated_at": .string(updatedAt),
        ]
    }

    /// The template's `issue` variable.
    var variables: JSONValue {
        [
            "identifier": .string(tracked.identifier), "title": .string(tracked.title),
            "description": .string(tracked.description), "state": .string(tracked.state),
            "priority": .int(Int64(tracked.priority)), "labels": .array(tracked.labels.map(JSONValue.string)),
            "url": tracked.url.map(JSONValue.string) ?? .null,
            "created_at": tracked.createdAt.map(JSONValue.string) ?? .null,
        ]
    }
}

/// One row of `attempts`: one agent execution, carried out as one job.
public struct AttemptRecord: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case running, completed, failed, blocked, aborted, released, stalled
    }

    public var id: Int64
    public var issue: String
    public var number: Int
    public var jobID: Int64?
    public var status: Status
    public var provider: String
    public var model: String?
    public var template: String
    public var prompt: String
    public var startedAt: String
    public var finishedAt: String?
    public var error: String?

    static let columns =
        "id, issue, number, job_id, status, provider, model, template, prompt, started_at, finished_at, error"

    init(row: Row) {
        id = row.int64(0) ?? 0
        issue = row.string(1) ?? ""
        number = row.int(2) ?? 0
        jobID = row.int64(3)
        status = Status(rawValue: row.string(4) ?? "") ?? .failed
        provider = row.string(5) ?? ""
        model = row.string(6)
        template = row.string(7) ?? ""
        prompt = row.string(8) ?? ""
        startedAt = row.string(9) ?? ""
        finishedAt = row.string(10)
        error = row.string(11)
    }

    public static func list(issue: String, tenant: String, from conn: Connection) throws -> [AttemptRecord] {
        try conn.query(
            "SELECT \(columns) FROM attempts WHERE tenant = ?1 AND issue = ?2 ORDER BY number",
            [.text(tenant), .text(issue)]
        ).map(AttemptRecord.init(row:))
    }

    /// The issue's running attempt, if any (at most one runs at a time).
    static func running(issue: String, tenant: String, from conn: Connection) throws -> AttemptRecord? {
        try conn.query(
            """
            SELECT \(columns) FROM attempts WHERE tenant = ?1 AND issue = ?2 AND status = 'running'
            ORDER BY number DESC LIMIT 1
            """, [.text(tenant), .text(issue)]
        ).first.map(AttemptRecord.init(row:))
    }

    /// Running attempts whose job has ended, is gone, or has been silent since `stallCutoff`: the
    /// only ones a tick has to look at (the rest are still working).
    static func needingReconciliation(tenant: String, stallCutoff: String, from conn: Connection) throws
        -> [AttemptRecord]
    {
        try conn.query(
            """
            SELECT a.id, a.issue, a.number, a.job_id, a.status, a.provider, a.model, a.template, a.prompt,
                a.started_at, a.finished_at, a.error
            FROM attempts a LEFT JOIN jobs j ON j.id = a.job_id
            WHERE a.tenant = ?1 AND a.status = 'running'
                AND (j.id IS NULL OR j.finished_at IS NOT NULL OR (j.status = 'running' AND j.updated_at < ?2))
            ORDER BY a.id
            """, [.text(tenant), .text(stallCutoff)]
        ).map(AttemptRecord.init(row:))
    }

    static func load(_ id: Int64, tenant: String, from conn: Connection) throws -> AttemptRecord? {
        try conn.query("SELECT \(columns) FROM attempts WHERE tenant = ?1 AND id = ?2", [.text(tenant), .integer(id)])
            .first.map(AttemptRecord.init(row:))
    }

    public var json: JSONValue {
        [
            "id": .int(id), "issue": .string(issue), "number": .int(Int64(number)),
            "job": jobID.map(JSONValue.int) ?? .null, "status": .string(status.rawValue),
            "provider": .string(provider), "model": model.map(JSONValue.string) ?? .null,
            "template": .string(template), "prompt": .string(prompt), "started_at": .string(startedAt),
            "finished_at": finishedAt.map(JSONValue.string) ?? .null, "error": error.map(JSONValue.string) ?? .null,
        ]
    }
}

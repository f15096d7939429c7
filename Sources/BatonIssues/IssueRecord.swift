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

    /// A row selected with `columns`; throws `RowDecodingError` when one lacks a column or holds
    /// a value the schema does not allow.
    init(row: Row) throws {
        tenant = try row.decode("tenant")
        tracked = TrackedIssue(
            identifier: try row.decode("identifier"), trackerID: try row.decodeIfPresent("tracker_id"),
            title: try row.decode("title"), description: try row.decode("description"),
            state: try row.decode("tracker_state"), priority: try row.decode("priority"),
            labels: StringListColumn.decode(try row.decode("labels")), url: try row.decodeIfPresent("url"),
            createdAt: try row.decodeIfPresent("tracker_created_at"), project: try row.decodeIfPresent("project"))
        state = IssueState(rawValue: try row.decode("state")) ?? .released
        attempts = try row.decode("attempts")
        cycleAttempts = try row.decode("cycle_attempts")
        modelOverride = try row.decodeIfPresent("model_override")
        templateOverride = try row.decodeIfPresent("template_override")
        retryAtMs = try row.decodeIfPresent("retry_at_ms")
        lastError = try row.decodeIfPresent("last_error")
        workspaceCleanup = try row.decodeIfPresent("workspace_cleanup")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
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

    static let columnNames = [
        "id", "issue", "number", "job_id", "status", "provider", "model", "template", "prompt", "started_at",
        "finished_at", "error",
    ]
    static let columns = columnNames.joined(separator: ", ")
    /// The columns of `attempts` under the alias `table`, each named as `init(row:)` reads it.
    static func columns(of table: String) -> String {
        columnNames.map { "\(table).\($0) AS \($0)" }.joined(separator: ", ")
    }

    /// A row selected with `columns`; throws `RowDecodingError` when one lacks a column or holds
    /// a value the schema does not allow.
    init(row: Row) throws {
        id = try row.decode("id")
        issue = try row.decode("issue")
        number = try row.decode("number")
        jobID = try row.decodeIfPresent("job_id")
        status = Status(rawValue: try row.decode("status")) ?? .failed
        provider = try row.decode("provider")
        model = try row.decodeIfPresent("model")
        template = try row.decode("template")
        prompt = try row.decode("prompt")
        startedAt = try row.decode("started_at")
        finishedAt = try row.decodeIfPresent("finished_at")
        error = try row.decodeIfPresent("error")
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
            SELECT \(columns(of: "a")) FROM attempts a LEFT JOIN jobs j ON j.id = a.job_id
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

import BatonCore
import BatonJSON
import BatonStore

/// Prompt templates per tenant (`templates`): each is parsed before it is stored, so a stored
/// template never has a syntax error or an unknown filter.
public struct StoredTemplate: Sendable, Equatable {
    public var id: String
    public var body: String
    public var description: String
    public var createdAt: String
    public var updatedAt: String

    public var json: JSONValue {
        [
            "id": .string(id), "body": .string(body), "description": .string(description),
            "created_at": .string(createdAt), "updated_at": .string(updatedAt),
        ]
    }
}

extension StoredTemplate {
    static let columns = "id, body, description, created_at, updated_at"

    /// A row of `templates` selected with `columns`; throws `RowDecodingError` when one lacks a
    /// column or holds a value the schema does not allow.
    init(row: Row) throws {
        self.init(
            id: try row.decode("id"), body: try row.decode("body"), description: try row.decode("description"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }
}

public enum TemplateStore {
    /// The longest body, in characters (Unicode code points, as JSON Schema's `maxLength` counts).
    public static let maxBodyLength = 65_536

    /// Sample variables for previews and for checking a template before it is saved.
    public static let sampleVariables: [String: JSONValue] = [
        "issue": [
            "identifier": "ENG-123", "title": "Fix the login redirect loop",
            "description": "Users bounce between /login and /home after a session expires.",
            "state": "Todo", "priority": 2, "labels": ["bug", "auth"], "url": "https://linear.app/acme/issue/ENG-123",
            "created_at": "2026-11-30T09:00:00.000Z",
        ],
        "attempt": ["number": 1, "max": 10, "previous_error": .null],
        "steer": [],
        "job": ["provider": "dry-run", "model": .null],
        "git": [
            "repo": "app", "url": "git@example.com:acme/app.git", "base_branch": "main", "branch": "baton/ENG-123",
        ],
        // Null unless the issue was delegated to Baton's Linear agent (SPEC §9.15).
        "agent_session": [
            "id": "6f3c2b1e-0d4a-4c8e-9b7a-2e5f1a9c8d70", "creator": "Ada Lovelace",
            "prompt_context": "<issue identifier=\"ENG-123\">Fix the login redirect loop</issue>",
            "comment": "@baton please take this", "guidance": ["Run the tests before you finish."],
            "previous_comments": [], "prompt": .null,
        ],
    ]

    /// The template `default` as migration 0011 seeded it for tenant `default`: what every other
    /// tenant (and the system tenant when it is not `default`) renders until it stores its own
    /// (SPEC §9.11). A test holds the two equal.
    static let builtInDefaultBody = """
        You are working on {{ issue.identifier }}: {{ issue.title }}
        {%- if issue.url %} ({{ issue.url }}){% endif %}
        {% if issue.description != "" %}
        {{ issue.description }}
        {% endif %}
        {%- if issue.labels.size > 0 %}
        Labels: {{ issue.labels | join: ", " }}
        {%- endif %}
        {%- if attempt.number > 1 %}

        This is attempt {{ attempt.number }}. The previous attempt ended with: {{ attempt.previous_error | default: "no error recorded" }}
        {%- endif %}
        {%- for message in steer %}
        Operator guidance: {{ message }}
        {%- endfor %}

        Work in the current directory. When you are done, summarise what you changed.
        """

    /// The body an attempt renders: the tenant's own template, or for `default` the built-in one.
    public static func bodyForAttempt(_ id: String, tenant: String, from conn: Connection) throws -> String? {
        if let stored = try load(id, tenant: tenant, from: conn) { return stored.body }
        return id == "default" ? builtInDefaultBody : nil
    }

    public static func load(_ id: String, tenant: String, from conn: Connection) throws -> StoredTemplate? {
        try conn.query(
            "SELECT \(StoredTemplate.columns) FROM templates WHERE tenant = ?1 AND id = ?2", [.text(tenant), .text(id)]
        ).first.map(StoredTemplate.init(row:))
    }

    public static func list(tenant: String, database: Database) async throws -> [StoredTemplate] {
        try await database.read { conn in
            try conn.query(
                "SELECT \(StoredTemplate.columns) FROM templates WHERE tenant = ?1 ORDER BY id", [.text(tenant)]
            ).map(StoredTemplate.init(row:))
        }
    }

    public static func get(_ id: String, tenant: String, database: Database) async throws -> StoredTemplate {
        let found = try await database.read { conn in try load(id, tenant: tenant, from: conn) }
        guard let found else { throw TemplateStoreError.notFound("no template \(JSONText.quote(id))") }
        return found
    }

    /// Checks a body: it parses, and renders against the sample variables within `limits` (so an
    /// unknown variable or an exceeded limit is caught now, not at the first attempt). It may
    /// take up to `limits.maxRenderMs`: never call it on an event loop.
    public static func check(_ body: String, limits: TemplateLimits = TemplateLimits()) throws(TemplateError) {
        let template = try Template(body, limits: limits)
        _ = try template.render(sampleVariables, limits: limits)
    }

    public static func isID(_ id: String) -> Bool { id.isPlainName }

    /// Creates (`create: true`, 409 if it exists) or replaces (404 if it does not) a template.
    public static func save(
        _ id: String, body: String, description: String?, create: Bool, tenant: String, database: Database
    ) async throws -> StoredTemplate {
        let now = Timestamp.now()
        return try await database.write { conn in
            let existing = try load(id, tenant: tenant, from: conn)
            if create, existing != nil { throw TemplateStoreError.conflict("template \(JSONText.quote(id)) exists") }
            if !create, existing == nil { throw TemplateStoreError.notFound("no template \(JSONText.quote(id))") }
            try conn.execute(
                """
                INSERT INTO templates (tenant, id, body, description, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                ON CONFLICT (tenant, id) DO UPDATE SET body = excluded.body,
                    description = coalesce(?6, description), updated_at = excluded.updated_at
                """,
                [
                    .text(tenant), .text(id), .text(body), .text(description ?? ""), .text(now),
                    description.map(SQLValue.text) ?? .null,
                ])
            return try load(id, tenant: tenant, from: conn)!
        }
    }

    /// Deletes a template inside the caller's transaction (the orchestrator's, which first checks
    /// that nothing uses it); 404 when there is none.
    public static func delete(_ id: String, tenant: String, in conn: Connection) throws {
        guard try load(id, tenant: tenant, from: conn) != nil else {
            throw TemplateStoreError.notFound("no template \(JSONText.quote(id))")
        }
        try conn.execute("DELETE FROM templates WHERE tenant = ?1 AND id = ?2", [.text(tenant), .text(id)])
    }
}

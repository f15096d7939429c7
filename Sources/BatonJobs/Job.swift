import BatonCore
import BatonJSON
import BatonStore
import BatonWorkerProtocol

public enum JobStatus: String, Sendable, CaseIterable {
    case pending, assigned, running, completed, failed, cancelled

    /// Finished jobs never change again (except through an explicit retry).
    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

public enum JobPriority: String, Sendable, CaseIterable, Comparable {
    case low, normal, high

    var rank: Int {
        switch self {
        case .low: 0
        case .normal: 1
        case .high: 2
        }
    }

    public static func < (a: JobPriority, b: JobPriority) -> Bool { a.rank < b.rank }
}

public enum JobTier: String, Sendable, CaseIterable {
    case low, medium, high

    var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        }
    }
}

/// A job as stored: one unit of agent or LLM work, carried out by one worker at a time.
public struct Job: Sendable, Equatable {
    public var id: Int64
    public var tenant: String
    public var status: JobStatus
    public var prompt: String
    public var input: String?
    public var provider: String
    public var model: String?
    public var priority: JobPriority
    public var tier: JobTier
    public var tags: [String]
    public var worker: String?
    public var attempt: Int
    public var issue: String?
    public var createdAt: String
    public var updatedAt: String
    public var assignedAt: String?
    public var startedAt: String?
    public var finishedAt: String?
    public var result: String?
    public var error: String?
    public var progress: String?
    public var tokensInput: Int64
    public var tokensOutput: Int64
    public var costUSD: Double?
    /// JSON object text explaining the last routing decision.
    public var routing: String?
    public var leaseToken: String?
    public var leaseExpiresMs: Int64?
    public var cancelRequested: Bool
    /// JSON object text: what the orchestrator tells the worker beyond the prompt (nil: nothing).
    public var context: String?
    /// The model the agent says it used (an alias resolved, or the CLI's default when the job
    /// named none); nil until a completion reports one.
    public var modelUsed: String?
    /// JSON object text: what the agent did, as its worker reported at completion.
    public var report: String?
    /// The agent stopped to ask a person (a failed job that blocks its issue rather than retrying).
    public var needsInput: Bool

    /// The model the job is billed for: the one the agent used, else the one it was given.
    public var billedModel: String? { modelUsed ?? model }

    /// The job as the API shows it. The lease token is never shown here: only the lease answer
    /// carries it, to the worker that holds it.
    public var json: JSONValue { .verbatim(jsonText) }

    /// The API form written field by field in key order (`writeJSON`): it is the body of most
    /// dispatcher answers. A test holds it equal to serialising `jsonObject`.
    public var jsonText: String {
        var out: [UInt8] = []
        out.reserveCapacity(512 + prompt.utf8.count + (input?.utf8.count ?? 0) + (routing?.utf8.count ?? 0))
        _ = Job.writeJSON(OwnJobFields(job: self), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The same as a JSON object, for tests and for readers that need the fields.
    var jsonObject: JSONValue {
        var out: [String: JSONValue] = [
            "id": .int(id), "status": .string(status.rawValue), "prompt": .string(prompt),
            "input": input.map(JSONValue.string) ?? .null, "provider": .string(provider),
            "model": model.map(JSONValue.string) ?? .null, "priority": .string(priority.rawValue),
            "tier": .string(tier.rawValue), "tags": .array(tags.map(JSONValue.string)),
            "worker": worker.map(JSONValue.string) ?? .null, "attempt": .int(Int64(attempt)),
            "issue": issue.map(JSONValue.string) ?? .null, "created_at": .string(createdAt),
            "updated_at": .string(updatedAt), "assigned_at": assignedAt.map(JSONValue.string) ?? .null,
            "started_at": startedAt.map(JSONValue.string) ?? .null,
            "finished_at": finishedAt.map(JSONValue.string) ?? .null,
            "result": result.map(JSONValue.string) ?? .null, "error": error.map(JSONValue.string) ?? .null,
            "tokens": ["input": .int(tokensInput), "output": .int(tokensOutput)],
            "cost_usd": costUSD.map(JSONValue.double) ?? .null,
            // Both columns hold JSON this server serialised: spliced in, not parsed again.
            "routing": routing.map(JSONValue.verbatim) ?? .null,
            "progress": progress.map(JSONValue.verbatim) ?? .null,
        ]
        out["cancel_requested"] = .bool(cancelRequested)
        out["context"] = context.map(JSONValue.verbatim) ?? .null
        out["model_used"] = modelUsed.map(JSONValue.string) ?? .null
        out["report"] = report.map(JSONValue.verbatim) ?? .null
        out["needs_input"] = .bool(needsInput)
        return .object(out)
    }

    /// What every read of whole jobs selects, in `JobColumn` order.
    static let columns = JobColumn.allCases.map(\.name).joined(separator: ", ")
    /// The look-ups by key as ready texts: interpolating them per read made a new string for
    /// the statement cache to hash and compare each time.
    static let selectByTenant = "SELECT \(columns) FROM jobs WHERE id = ?1 AND tenant = ?2"
    static let selectByID = "SELECT \(columns) FROM jobs WHERE id = ?1"

    /// A job just inserted from `spec`, as the row now reads (the column defaults included), so
    /// the insert need not be read back.
    init(new spec: JobSpec, id: Int64, tenant: String, at time: String, worker: String?, routing: String?) {
        self.id = id
        self.tenant = tenant
        status = worker == nil ? .pending : .assigned
        prompt = spec.prompt
        input = spec.input
        provider = spec.provider
        model = spec.model
        priority = spec.priority
        tier = spec.tier
        tags = spec.tags
        self.worker = worker
        attempt = 1
        issue = spec.issue
        createdAt = time
        updatedAt = time
        assignedAt = worker == nil ? nil : time
        startedAt = nil
        finishedAt = nil
        result = nil
        error = nil
        progress = nil
        tokensInput = 0
        tokensOutput = 0
        costUSD = nil
        self.routing = routing
        leaseToken = nil
        leaseExpiresMs = nil
        cancelRequested = false
        context = spec.context.isEmpty ? nil : JSONValue.object(spec.context.mapValues(JSONValue.string)).text
        modelUsed = nil
        report = nil
        needsInput = false
    }

    /// A row selected with `columns`; throws `RowDecodingError` when one lacks a column or holds
    /// a value the schema does not allow (NULL in a NOT NULL column, text in an integer one).
    init(row: Row) throws {
        id = try row.decode("id")
        tenant = try row.decode("tenant")
        status = JobStatus(rawValue: try row.decode("status")) ?? .failed
        prompt = try row.decode("prompt")
        input = try row.decodeIfPresent("input")
        provider = try row.decode("provider")
        model = try row.decodeIfPresent("model")
        priority = JobPriority(rawValue: try row.decode("priority")) ?? .normal
        tier = JobTier(rawValue: try row.decode("tier")) ?? .medium
        tags = StringListColumn.decode(try row.decode("tags"))
        worker = try row.decodeIfPresent("worker")
        attempt = try row.decode("attempt")
        issue = try row.decodeIfPresent("issue")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        assignedAt = try row.decodeIfPresent("assigned_at")
        startedAt = try row.decodeIfPresent("started_at")
        finishedAt = try row.decodeIfPresent("finished_at")
        result = try row.decodeIfPresent("result")
        error = try row.decodeIfPresent("error")
        progress = try row.decodeIfPresent("progress")
        tokensInput = try row.decode("tokens_input")
        tokensOutput = try row.decode("tokens_output")
        costUSD = try row.decodeIfPresent("cost_usd")
        routing = try row.decodeIfPresent("routing")
        leaseToken = try row.decodeIfPresent("lease_token")
        leaseExpiresMs = try row.decodeIfPresent("lease_expires_ms")
        cancelRequested = try row.decode("cancel_requested")
        context = try row.decodeIfPresent("context")
        modelUsed = try row.decodeIfPresent("model_used")
        report = try row.decodeIfPresent("report")
        needsInput = try row.decode("needs_input")
    }

    /// Reads one job of `tenant` (nil when it does not exist there).
    public static func load(id: Int64, tenant: String, from conn: Connection) throws -> Job? {
        try conn.queryOne(selectByTenant, [.integer(id), .text(tenant)]).map(Job.init(row:))
    }

    static func load(id: Int64, from conn: Connection) throws -> Job? {
        try conn.queryOne(selectByID, [.integer(id)]).map(Job.init(row:))
    }

    /// A page of `tenant`'s jobs, newest first, with the total matching count.
    public static func list(
        tenant: String, status: JobStatus?, provider: String?, worker: String? = nil, limit: Int, offset: Int,
        from conn: Connection
    ) throws -> (jobs: [Job], total: Int) {
        var conditions = ["tenant = ?1"]
        var bindings: [SQLValue] = [.text(tenant)]
        if let status {
            bindings.append(.text(status.rawValue))
            conditions.append("status = ?\(bindings.count)")
        }
        if let provider {
            bindings.append(.text(provider))
            conditions.append("provider = ?\(bindings.count)")
        }
        if let worker {
            bindings.append(.text(worker))
            conditions.append("worker = ?\(bindings.count)")
        }
        let clause = conditions.joined(separator: " AND ")
        let total = try conn.scalar("SELECT count(*) FROM jobs WHERE \(clause)", bindings)?.intValue ?? 0
        let rows = try conn.query(
            "SELECT \(columns) FROM jobs WHERE \(clause) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)", bindings)
        return (try rows.map(Job.init(row:)), total)
    }
}

extension Job {
    static func decodeModels(_ text: String?) -> [WorkerModel] {
        guard let text, let value = try? JSONParser.parse(Array(text.utf8)), let items = value.arrayValue else {
            return []
        }
        return items.compactMap { item in
            guard let name = item["name"]?.stringValue else { return nil }
            return WorkerModel(name: name, score: item["score"]?.doubleValue, fit: item["fit"]?.stringValue)
        }
    }

    static func encodeModels(_ models: [WorkerModel]) -> String { JSONValue.array(models.map(\.json)).text }
}

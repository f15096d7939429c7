import BatonJSON

/// `POST /api/workers/:id/lease?wait_s=N` (SPEC §6.8): how long to long-poll for a job. It has no
/// body: the wait is the query.
public struct LeaseRequest: Sendable, Equatable {
    public static let waitRange = 0...30
    /// Seconds, within `waitRange`; 30 when the query does not say.
    public var waitS: Int

    public init(waitS: Int = LeaseRequest.waitRange.upperBound) {
        self.waitS = waitS
    }

    /// `wait_s=N`.
    public var query: String { "wait_s=\(waitS)" }

    /// The `wait_s` query value, when there is one.
    public init(waitS text: String?) throws(WorkerProtocolError) {
        guard let text else {
            self.init()
            return
        }
        guard let n = Int(text), Self.waitRange.contains(n) else {
            throw WorkerProtocolError(
                field: "wait_s",
                "wait_s must be a whole number from \(Self.waitRange.lowerBound) to \(Self.waitRange.upperBound)")
        }
        self.init(waitS: n)
    }
}

/// A lease on a running job: the token that fences every report about it and when it expires
/// unless a report extends it (SPEC §6.8, §6.11).
public struct LeaseGrant: Sendable, Equatable {
    /// `<attempt>.<32 hex>`, opaque to the worker.
    public var token: String
    /// A `Timestamp`.
    public var expiresAt: String
    /// Milliseconds from the answer to `expiresAt` by the coordinator's clock (`router.lease_s`):
    /// the worker times the lease on its own clock with it, whatever the two clocks say (SPEC
    /// §7.14). nil when the coordinator did not send it.
    public var expiresInMs: Int64?

    public static let maxExpiresInMs = TokenTotals.maxCount

    public init(token: String, expiresAt: String, expiresInMs: Int64? = nil) {
        self.token = token
        self.expiresAt = expiresAt
        self.expiresInMs = expiresInMs
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["token": .string(token), "expires_at": .string(expiresAt)]
        if let expiresInMs { fields["expires_in_ms"] = .int(expiresInMs) }
        return .object(fields)
    }

    public init(json: JSONValue, path: String = "lease") throws(WorkerProtocolError) {
        let lease = try FieldReader(json, path: path)
        let token = try lease.requiredString("token")
        guard !token.isEmpty else { throw lease.error("token", "\(lease.at("token")) must not be empty") }
        let expiresAt = try lease.requiredString("expires_at")
        guard Timestamp.parse(expiresAt) != nil else {
            throw lease.error(
                "expires_at", "\(lease.at("expires_at")) must be a timestamp such as 2026-12-01T10:00:00.000Z")
        }
        let expiresInMs = try lease.integer(
            "expires_in_ms", in: 0...Self.maxExpiresInMs,
            "\(lease.at("expires_in_ms")) must be a whole number of milliseconds from 0 to 2^53 - 1")
        self.init(token: token, expiresAt: expiresAt, expiresInMs: expiresInMs)
    }
}

/// The job a lease hands over. The coordinator sends the whole job (SPEC §6.1); the fields a
/// worker runs it with are typed here, the others are carried along as they came.
public struct LeasedJob: Sendable, Equatable {
    public var id: Int64
    /// 1 for the first run of the job, one more after each requeue.
    public var attempt: Int
    public var prompt: String
    public var input: String?
    /// The provider name whose runner runs it (SPEC §8.1).
    public var provider: String
    public var model: String?
    /// The issue identifier when the orchestrator started it: it names the workspace (SPEC §7.8).
    public var issue: String?
    /// What the coordinator says beyond the prompt (the issue's git route, SPEC §9.12), for the
    /// hooks as `BATON_<KEY>`; nil when the job has none.
    public var context: [String: String]?
    /// The job's other fields (status, tags, timestamps, routing, …) as the coordinator sent
    /// them: a worker does not read them.
    public var otherFields: [String: JSONValue]

    public static let typedFields: Set<String> = [
        "id", "attempt", "prompt", "input", "provider", "model", "issue", "context",
    ]

    public init(
        id: Int64, attempt: Int = 1, prompt: String, input: String? = nil, provider: String, model: String? = nil,
        issue: String? = nil, context: [String: String]? = nil, otherFields: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.attempt = attempt
        self.prompt = prompt
        self.input = input
        self.provider = provider
        self.model = model
        self.issue = issue
        self.context = context
        self.otherFields = otherFields.filter { !Self.typedFields.contains($0.key) }
    }

    /// The context, or none.
    public var contextEntries: [String: String] { context ?? [:] }

    public var json: JSONValue {
        var fields = otherFields
        fields["id"] = .int(id)
        fields["attempt"] = .int(Int64(attempt))
        fields["prompt"] = .string(prompt)
        fields["input"] = input.map(JSONValue.string) ?? .null
        fields["provider"] = .string(provider)
        fields["model"] = model.map(JSONValue.string) ?? .null
        fields["issue"] = issue.map(JSONValue.string) ?? .null
        fields["context"] = context.map { .object($0.mapValues(JSONValue.string)) } ?? .null
        return .object(fields)
    }

    public init(json: JSONValue, path: String = "job") throws(WorkerProtocolError) {
        let job = try FieldReader(json, path: path)
        guard let id = try job.integer("id", in: 1...Int64.max, "\(job.at("id")) must be a job id (a whole number ≥ 1)")
        else { throw job.missing("id") }
        guard
            let attempt = try job.int(
                "attempt", in: 1...Int(Int32.max), "\(job.at("attempt")) must be a whole number of at least 1")
        else { throw job.missing("attempt") }
        let provider = try job.requiredString("provider")
        guard !provider.isEmpty else { throw job.error("provider", "\(job.at("provider")) must not be empty") }
        var context: [String: String]?
        if let value = job.value("context") {
            let entries = try FieldReader(value, path: job.at("context"))
            var strings: [String: String] = [:]
            for key in entries.fields.keys.sorted() { strings[key] = try entries.requiredString(key, nullable: false) }
            context = strings
        }
        self.init(
            id: id, attempt: attempt, prompt: try job.requiredString("prompt"), input: try job.string("input"),
            provider: provider, model: try job.string("model"), issue: try job.string("issue"), context: context,
            otherFields: job.fields)
    }
}

/// `POST /api/workers/:id/lease` answered 200 (SPEC §6.8): the job and its lease. (204, no job
/// within the wait, has no body.)
public struct LeaseAnswer: Sendable, Equatable {
    public var job: LeasedJob
    public var lease: LeaseGrant

    public init(job: LeasedJob, lease: LeaseGrant) {
        self.job = job
        self.lease = lease
    }

    public var json: JSONValue { ["job": job.json, "lease": lease.json] }

    public init(json: JSONValue) throws(WorkerProtocolError) {
        let answer = try FieldReader(json)
        guard let job = answer.fields["job"] else { throw answer.missing("job") }
        guard let lease = answer.fields["lease"] else { throw answer.missing("lease") }
        self.init(job: try LeasedJob(json: job), lease: try LeaseGrant(json: lease))
    }
}

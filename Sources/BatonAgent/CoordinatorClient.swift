import BatonHTTP
import BatonJSON

/// Why a call to the coordinator did not get a usable answer.
public enum CoordinatorError: Error, CustomStringConvertible, Sendable {
    /// No answer at all (refused connection, timeout): worth retrying later.
    case unreachable(String)
    /// An answer with an error status, and the coordinator's message.
    case refused(status: Int, message: String)

    public var description: String {
        switch self {
        case .unreachable(let why): "the coordinator is unreachable: \(why)"
        case .refused(let status, let message): "the coordinator answered \(status): \(message)"
        }
    }

    public var isRetryable: Bool {
        switch self {
        case .unreachable: true
        case .refused(let status, _): status == 429 || status >= 500
        }
    }
}

/// A job handed to this worker, with the lease that fences every report about it.
public struct LeasedJob: Sendable {
    public var id: Int64
    public var attempt: Int
    public var prompt: String
    public var input: String?
    public var provider: String
    public var model: String?
    public var issue: String?
    public var token: String
    /// What the coordinator says beyond the prompt (the issue's git route), for the hooks.
    public var context: [String: String] = [:]
}

/// The worker protocol over HTTP: presence, lease, events, complete.
public struct CoordinatorClient: Sendable {
    public let baseURL: String
    private let token: String
    private let http: any HTTPTransport

    public init(baseURL: String, token: String, http: any HTTPTransport = HTTPClient.shared) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.token = token
        self.http = http
    }

    func call(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil, timeout: Duration = .seconds(15))
        async throws(CoordinatorError) -> (status: Int, json: JSONValue)
    {
        let request = HTTPClientRequest(
            method: method, url: baseURL + path,
            headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
            body: body.map(\.utf8Bytes) ?? [], timeout: timeout, connectTimeout: .seconds(3))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request)
        } catch {
            throw .unreachable("\(error)")
        }
        let json = response.body.isEmpty ? JSONValue.null : ((try? JSONParser.parse(response.body)) ?? .null)
        if response.status >= 400 {
            throw .refused(status: response.status, message: json["error"]?.stringValue ?? response.text)
        }
        return (response.status, json)
    }

    /// What a heartbeat's answer says: the commands waiting for this worker, and how often the
    /// coordinator wants to hear from it (its `heartbeat_interval_s`, from `router.stale_after_s`).
    public struct PresenceAnswer: Sendable {
        public var commands: [JSONValue]
        public var heartbeatIntervalS: Int?
    }

    /// Reports presence; returns the commands waiting for this worker and the wanted interval.
    public func presence(_ report: JSONValue) async throws(CoordinatorError) -> PresenceAnswer {
        let json = try await call(.put, "/presence", report).json
        let interval = json["heartbeat_interval_s"]?.intValue.flatMap { Int(exactly: $0) }.flatMap {
            (1...3600).contains($0) ? $0 : nil
        }
        return PresenceAnswer(commands: json["commands"]?.arrayValue ?? [], heartbeatIntervalS: interval)
    }

    /// Long-polls up to `waitS` seconds for the next job assigned to `instance`.
    public func lease(instance: String, waitS: Int) async throws(CoordinatorError) -> LeasedJob? {
        let (status, json) = try await call(
            .post, "/api/workers/\(instance)/lease?wait_s=\(waitS)", timeout: .seconds(waitS + 15))
        guard status == 200, let job = json["job"], let id = job["id"]?.intValue,
            let token = json["lease"]?["token"]?.stringValue
        else { return nil }
        var leased = LeasedJob(
            id: id, attempt: Int(job["attempt"]?.intValue ?? 1), prompt: job["prompt"]?.stringValue ?? "",
            input: job["input"]?.stringValue, provider: job["provider"]?.stringValue ?? "",
            model: job["model"]?.stringValue, issue: job["issue"]?.stringValue, token: token)
        leased.context = (job["context"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        return leased
    }

    /// Reports progress and token totals (extending the lease); answers cancel and steering.
    public func report(_ job: LeasedJob, progress: JSONValue?, tokens: (input: Int64, output: Int64)?)
        async throws(CoordinatorError) -> (cancel: Bool, steer: [String])
    {
        var body: [String: JSONValue] = ["token": .string(job.token)]
        if let progress { body["progress"] = progress }
        if let tokens { body["tokens"] = ["input": .int(tokens.input), "output": .int(tokens.output)] }
        let (_, json) = try await call(.post, "/api/jobs/\(job.id)/events", .object(body))
        let steer = (json["steer"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
        return (json["cancel"]?.boolValue ?? false, steer)
    }

    /// Ends the attempt with its outcome.
    public func complete(_ job: LeasedJob, _ outcome: AgentOutcome) async throws(CoordinatorError) {
        let status =
            switch outcome.status {
            case .succeeded: "completed"
            case .failed: "failed"
            case .needsInput: "needs_input"
            }
        var body: [String: JSONValue] = [
            "token": .string(job.token), "status": .string(status),
            "tokens": ["input": .int(outcome.tokensInput), "output": .int(outcome.tokensOutput)],
        ]
        if let result = outcome.result { body["result"] = .string(result) }
        if outcome.status != .succeeded { body["error"] = .string(outcome.error ?? "the agent did not finish") }
        if let cost = outcome.costUSD, cost.isFinite, cost >= 0 { body["cost_usd"] = .double(cost) }
        if let model = outcome.model, !model.isEmpty, model.utf8.count <= 256 { body["model_used"] = .string(model) }
        if let report = outcome.report { body["report"] = report.json() }
        _ = try await call(.post, "/api/jobs/\(job.id)/complete", .object(body))
    }
}

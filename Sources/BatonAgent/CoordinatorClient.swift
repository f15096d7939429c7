import BatonHTTP
import BatonJSON
import BatonWorkerProtocol

/// Why a call to the coordinator did not get a usable answer.
public enum CoordinatorError: Error, CustomStringConvertible, Sendable {
    /// No answer at all (refused connection, timeout): worth retrying later.
    case unreachable(String)
    /// An answer with an error status, and the coordinator's message.
    case refused(status: Int, message: String)
    /// A success whose body is not the worker protocol's answer (a coordinator of another version,
    /// or not a coordinator): the error names the field.
    case malformed(path: String, WorkerProtocolError)

    public var description: String {
        switch self {
        case .unreachable(let why): "the coordinator is unreachable: \(why)"
        case .refused(let status, let message): "the coordinator answered \(status): \(message)"
        case .malformed(let path, let error): "the coordinator's answer to \(path) is not understood: \(error)"
        }
    }

    public var isRetryable: Bool {
        switch self {
        case .unreachable: true
        case .refused(let status, _): status == 429 || status >= 500
        case .malformed: false
        }
    }
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

    /// Reads a success's body as the worker protocol's answer `T`.
    private func read<T>(_ path: String, _ json: JSONValue, as parse: (JSONValue) throws(WorkerProtocolError) -> T)
        throws(CoordinatorError) -> T
    {
        do {
            return try parse(json)
        } catch {
            throw .malformed(path: path, error)
        }
    }

    /// Reports presence; the answer carries the commands waiting for this worker and how often the
    /// coordinator wants to hear from it (its `heartbeat_interval_s`, from `router.stale_after_s`).
    public func presence(_ report: PresenceReport) async throws(CoordinatorError) -> PresenceAnswer {
        let json = try await call(.put, "/presence", report.json).json
        return try read("PUT /presence", json, as: PresenceAnswer.init(json:))
    }

    /// Long-polls up to `waitS` seconds for the next job assigned to `instance`: the job and the
    /// lease that fences every report about it, or nil when none came (204).
    public func lease(instance: String, waitS: Int) async throws(CoordinatorError) -> LeaseAnswer? {
        let path = "/api/workers/\(instance)/lease"
        let query = LeaseRequest(waitS: waitS).query
        let (status, json) = try await call(.post, path + "?" + query, timeout: .seconds(waitS + 15))
        guard status == 200 else { return nil }
        return try read("POST " + path, json, as: LeaseAnswer.init(json:))
    }

    /// Reports progress and token totals (extending the lease); the answer says whether to stop
    /// and carries steering.
    public func report(_ job: LeaseAnswer, _ report: ProgressReport) async throws(CoordinatorError) -> ProgressAnswer {
        let path = "/api/jobs/\(job.job.id)/events"
        return try read("POST " + path, try await call(.post, path, report.json).json, as: ProgressAnswer.init(json:))
    }

    /// Ends the attempt with its outcome. (The answer, the finished job, is not read.)
    public func complete(_ job: LeaseAnswer, _ outcome: AgentOutcome) async throws(CoordinatorError) {
        _ = try await call(
            .post, "/api/jobs/\(job.job.id)/complete", CompletionReport(outcome, token: job.lease.token).json)
    }
}

extension CompletionReport {
    /// A runner's outcome as the worker reports it (SPEC §7.6): a failure always says why, a cost
    /// only when it is a number the coordinator takes, the model only when it fits.
    init(_ outcome: AgentOutcome, token: String) {
        let status: CompletionStatus =
            switch outcome.status {
            case .succeeded: .completed
            case .failed: .failed
            case .needsInput: .needsInput
            }
        self.init(
            token: token, status: status, result: outcome.result,
            error: status.succeeded ? nil : (outcome.error ?? "the agent did not finish"),
            tokensInput: outcome.tokensInput, tokensOutput: outcome.tokensOutput,
            costUSD: outcome.costUSD.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil },
            modelUsed: outcome.model.flatMap {
                !$0.isEmpty && $0.codePointCount <= CompletionReport.maxModelUsedLength ? $0 : nil
            },
            report: outcome.report?.json())
    }
}

import BatonJSON

/// How an attempt ended, as the worker reports it (SPEC §6.10, §7.6).
public enum CompletionStatus: String, Sendable, CaseIterable {
    /// The runner succeeded: the job becomes `completed`.
    case completed
    /// The runner failed (or was cancelled): the job becomes `failed`.
    case failed
    /// The agent stopped to ask a person: the job becomes `failed` with `needs_input` true and
    /// the question as its error, and its issue is blocked rather than retried (SPEC §9.6).
    case needsInput = "needs_input"

    public var succeeded: Bool { self == .completed }
}

/// `POST /api/jobs/:id/complete` (SPEC §6.10): how a job ended on its worker.
public struct CompletionReport: Sendable, Equatable {
    public var token: String
    public var status: CompletionStatus
    public var result: String?
    /// Why it failed (the question, for `needs_input`); the coordinator's default is `the
    /// worker reported a failure`.
    public var error: String?
    public var tokensInput: Int64?
    public var tokensOutput: Int64?
    /// What the attempt cost as the agent counted it (a finite number ≥ 0); else the coordinator
    /// prices the tokens (SPEC §6.15).
    public var costUSD: Double?
    /// The model the agent says it used (1–`maxModelUsedLength` characters).
    public var modelUsed: String?
    /// What the agent did (SPEC §8.8): a JSON object of at most `maxReportBytes`.
    public var report: JSONValue?

    /// The most one attempt may report it cost: far beyond any real run, and small enough that
    /// the ledger's sums stay finite and exact to the cent.
    public static let maxCostUSD: Double = 1_000_000

    public static let fields: Set<String> = [
        "token", "status", "result", "error", "tokens", "cost_usd", "model_used", "report",
    ]
    public static let maxModelUsedLength = 256
    /// Largest `report` a completion may carry (the worker trims its lists to fit).
    public static let maxReportBytes = 65536

    public init(
        token: String, status: CompletionStatus = .completed, result: String? = nil, error: String? = nil,
        tokensInput: Int64? = nil, tokensOutput: Int64? = nil, costUSD: Double? = nil, modelUsed: String? = nil,
        report: JSONValue? = nil
    ) {
        self.token = token
        self.status = status
        self.result = result
        self.error = error
        self.tokensInput = tokensInput
        self.tokensOutput = tokensOutput
        self.costUSD = costUSD
        self.modelUsed = modelUsed
        self.report = report
    }

    /// The body as a worker sends it: `status` always, the rest when set.
    public var json: JSONValue {
        var body: [String: JSONValue] = ["token": .string(token), "status": .string(status.rawValue)]
        if let result { body["result"] = .string(result) }
        if let error { body["error"] = .string(error) }
        if let tokens = TokenTotals.json(input: tokensInput, output: tokensOutput) { body["tokens"] = tokens }
        if let costUSD { body["cost_usd"] = .double(costUSD) }
        if let modelUsed { body["model_used"] = .string(modelUsed) }
        if let report { body["report"] = report }
        return .object(body)
    }

    public init(json: JSONValue) throws(WorkerProtocolError) {
        let body = try FieldReader(json, allowed: Self.fields)
        let token = try body.requiredString("token", nullable: false)
        let statusText = try body.string("status", nullable: false) ?? CompletionStatus.completed.rawValue
        guard let status = CompletionStatus(rawValue: statusText) else {
            throw body.error("status", "status must be completed, failed or needs_input")
        }
        let result = try body.string("result", nullable: false)
        let error = try body.string("error", nullable: false)
        let tokens = try TokenTotals.read(body.fields["tokens"])
        var cost: Double?
        if let value = body.value("cost_usd") {
            guard let usd = value.doubleValue, (0...Self.maxCostUSD).contains(usd) else {
                throw body.error("cost_usd", "cost_usd must be a number from 0 to \(Int(Self.maxCostUSD))")
            }
            cost = usd
        }
        let modelUsed = try body.string("model_used", nullable: false)
        if let modelUsed, modelUsed.isEmpty || modelUsed.codePointCount > Self.maxModelUsedLength {
            throw body.error(
                "model_used", "model_used must be a model name of 1 to \(Self.maxModelUsedLength) characters")
        }
        var report: JSONValue?
        if let value = body.value("report") {
            guard case .object = value else { throw body.error("report", "report must be a JSON object") }
            guard value.text.utf8.count <= Self.maxReportBytes else {
                throw body.error("report", "report must be at most \(Self.maxReportBytes) bytes of JSON")
            }
            report = value
        }
        self.init(
            token: token, status: status, result: result, error: error, tokensInput: tokens.input,
            tokensOutput: tokens.output, costUSD: cost, modelUsed: modelUsed, report: report)
    }
}

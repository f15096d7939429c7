import BatonJSON

/// Token totals so far (absolute, never increments): `{"input": n, "output": n}`, each a whole
/// number from 0 to `maxCount` and either one may be left out.
public enum TokenTotals {
    /// 2^53 − 1, as the OpenAPI document says (the workers clamp to it), so sums of counts stay
    /// far from Int64's end.
    public static let maxCount: Int64 = 9_007_199_254_740_991

    static let sentence = "tokens must be an object {\"input\": n, \"output\": n}"

    static func json(input: Int64?, output: Int64?) -> JSONValue? {
        guard input != nil || output != nil else { return nil }
        var fields: [String: JSONValue] = [:]
        if let input { fields["input"] = .int(input) }
        if let output { fields["output"] = .int(output) }
        return .object(fields)
    }

    static func read(_ value: JSONValue?) throws(WorkerProtocolError) -> (input: Int64?, output: Int64?) {
        guard let value, value != .null else { return (nil, nil) }
        guard case .object(let fields) = value, Set(fields.keys).isSubset(of: ["input", "output"]) else {
            throw WorkerProtocolError(field: "tokens", sentence)
        }
        let tokens = try FieldReader(value, path: "tokens")
        func count(_ name: String) throws(WorkerProtocolError) -> Int64? {
            try tokens.integer(name, in: 0...maxCount, "tokens.\(name) must be a whole number from 0 to 2^53 - 1")
        }
        return (try count("input"), try count("output"))
    }
}

/// `POST /api/jobs/:id/events` (SPEC §6.9, §7.4): what a worker reports while it runs a job. A
/// report with neither progress nor tokens (a quiet report) only keeps the lease.
public struct ProgressReport: Sendable, Equatable {
    public var token: String
    /// Any JSON of at most `maxProgressBytes` (the worker's progress document, SPEC §7.4).
    public var progress: JSONValue?
    public var tokensInput: Int64?
    public var tokensOutput: Int64?

    public static let fields: Set<String> = ["token", "progress", "tokens"]
    public static let maxProgressBytes = 16384

    public init(token: String, progress: JSONValue? = nil, tokensInput: Int64? = nil, tokensOutput: Int64? = nil) {
        self.token = token
        self.progress = progress
        self.tokensInput = tokensInput
        self.tokensOutput = tokensOutput
    }

    /// Not agent activity: it extends the lease without moving the job's `updated_at`.
    public var isQuiet: Bool { progress == nil && tokensInput == nil && tokensOutput == nil }

    public var json: JSONValue {
        var body: [String: JSONValue] = ["token": .string(token)]
        if let progress { body["progress"] = progress }
        if let tokens = TokenTotals.json(input: tokensInput, output: tokensOutput) { body["tokens"] = tokens }
        return .object(body)
    }

    public init(json: JSONValue) throws(WorkerProtocolError) {
        let body = try FieldReader(json, allowed: Self.fields)
        let token = try body.requiredString("token", nullable: false)
        var progress: JSONValue?
        if let value = body.value("progress") {
            guard value.text.utf8.count <= Self.maxProgressBytes else {
                throw body.error("progress", "progress must be at most \(Self.maxProgressBytes) bytes of JSON")
            }
            progress = value
        }
        let tokens = try TokenTotals.read(body.fields["tokens"])
        self.init(token: token, progress: progress, tokensInput: tokens.input, tokensOutput: tokens.output)
    }
}

/// A message an operator sent to a running job (SPEC §9.9), handed over once in an events answer.
public struct SteerMessage: Sendable, Equatable {
    public var id: Int64
    public var message: String
    /// A `Timestamp`.
    public var createdAt: String

    public init(id: Int64, message: String, createdAt: String) {
        self.id = id
        self.message = message
        self.createdAt = createdAt
    }

    public var json: JSONValue { ["id": .int(id), "message": .string(message), "created_at": .string(createdAt)] }

    public init(json: JSONValue, path: String = "steer") throws(WorkerProtocolError) {
        let steer = try FieldReader(json, path: path)
        guard let id = try steer.integer("id", in: 1...Int64.max, "\(steer.at("id")) must be a whole number ≥ 1")
        else { throw steer.missing("id") }
        let createdAt = try steer.requiredString("created_at")
        guard Timestamp.parse(createdAt) != nil else {
            throw steer.error(
                "created_at", "\(steer.at("created_at")) must be a timestamp such as 2026-12-01T10:00:00.000Z")
        }
        self.init(id: id, message: try steer.requiredString("message"), createdAt: createdAt)
    }
}

/// The answer to a progress report (SPEC §6.9): stop, steering to pass on, and the extended
/// lease (none when the job was cancelled).
public struct ProgressAnswer: Sendable, Equatable {
    public var cancel: Bool
    public var steer: [SteerMessage]
    public var lease: LeaseGrant?

    public init(cancel: Bool, steer: [SteerMessage] = [], lease: LeaseGrant?) {
        self.cancel = cancel
        self.steer = steer
        self.lease = lease
    }

    public var json: JSONValue {
        ["cancel": .bool(cancel), "steer": .array(steer.map(\.json)), "lease": lease?.json ?? .null]
    }

    public init(json: JSONValue) throws(WorkerProtocolError) {
        let answer = try FieldReader(json)
        guard let items = answer.fields["steer"] else { throw answer.missing("steer") }
        guard case .array(let list) = items else { throw answer.wrongType("steer", "an array", items) }
        var steer: [SteerMessage] = []
        for (i, item) in list.enumerated() { steer.append(try SteerMessage(json: item, path: "steer[\(i)]")) }
        guard let leaseValue = answer.fields["lease"] else { throw answer.missing("lease") }
        let lease = leaseValue == .null ? nil : try LeaseGrant(json: leaseValue)
        self.init(cancel: try answer.bool("cancel"), steer: steer, lease: lease)
    }
}

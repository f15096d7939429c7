import BatonCore
import BatonJSON
import BatonStore

/// The columns a job is stored in, in the order `Job.columns` selects them, so a row can be
/// read by index as well as by name.
enum JobColumn: Int, CaseIterable {
    case id, tenant, status, prompt, input, provider, model, priority, tier, tags, worker, attempt, issue
    case createdAt, updatedAt, assignedAt, startedAt, finishedAt, result, error, progress, tokensInput
    case tokensOutput, costUSD, routing, leaseToken, leaseExpiresMs, cancelRequested, context
    case modelUsed, report, needsInput

    var name: String {
        switch self {
        case .id: "id"
        case .tenant: "tenant"
        case .status: "status"
        case .prompt: "prompt"
        case .input: "input"
        case .provider: "provider"
        case .model: "model"
        case .priority: "priority"
        case .tier: "tier"
        case .tags: "tags"
        case .worker: "worker"
        case .attempt: "attempt"
        case .issue: "issue"
        case .createdAt: "created_at"
        case .updatedAt: "updated_at"
        case .assignedAt: "assigned_at"
        case .startedAt: "started_at"
        case .finishedAt: "finished_at"
        case .result: "result"
        case .error: "error"
        case .progress: "progress"
        case .tokensInput: "tokens_input"
        case .tokensOutput: "tokens_output"
        case .costUSD: "cost_usd"
        case .routing: "routing"
        case .leaseToken: "lease_token"
        case .leaseExpiresMs: "lease_expires_ms"
        case .cancelRequested: "cancel_requested"
        case .context: "context"
        case .modelUsed: "model_used"
        case .report: "report"
        case .needsInput: "needs_input"
        }
    }

    /// Whether `Job` takes NULL here (an optional field); NULL anywhere else fails `Job(row:)`.
    var isOptional: Bool {
        switch self {
        case .input, .model, .worker, .issue, .assignedAt, .startedAt, .finishedAt, .result, .error, .progress,
            .costUSD, .routing, .leaseToken, .leaseExpiresMs, .context, .modelUsed, .report:
            true
        default: false
        }
    }
}

/// Where the API form of a job takes its fields from: a `Job`, or its stored row read in place
/// (`StoredJobFields`), so the one writer below makes both and they cannot drift apart. False or
/// nil from a method: the stored value is not one `Job(row:)` accepts (the row is then read the
/// usual way, which reports it).
protocol JobFields {
    /// The field as a JSON string, or `null`.
    func appendText(_ column: JobColumn, to out: inout [UInt8]) -> Bool
    /// The field's JSON text (this server wrote it) spliced in as it is, or `null`.
    func appendJSON(_ column: JobColumn, to out: inout [UInt8]) -> Bool
    func integer(_ column: JobColumn) -> Int64?
    func flag(_ column: JobColumn) -> Bool?
    /// `.some(nil)` when the job has no cost.
    func cost() -> Double??
    func status() -> JobStatus?
    func priority() -> JobPriority?
    func tier() -> JobTier?
    func appendTags(to out: inout [UInt8]) -> Bool
}

extension Job {
    /// Writes the API form of a job in key order from `fields`; false when a stored value is not
    /// one `Job(row:)` accepts (`out` then holds part of it). The lease token is never written:
    /// only the lease answer carries it, to the worker that holds it.
    static func writeJSON(_ fields: some JobFields, to out: inout [UInt8]) -> Bool {
        func raw(_ text: StaticString) { text.withUTF8Buffer { out.append(contentsOf: $0) } }
        func number(_ value: Int64?) -> Bool {
            guard let value else { return false }
            out.append(contentsOf: String(value).utf8)
            return true
        }
        func bool(_ value: Bool?) -> Bool {
            guard let value else { return false }
            value ? raw("true") : raw("false")
            return true
        }
        raw(#"{"assigned_at":"#)
        guard fields.appendText(.assignedAt, to: &out) else { return false }
        raw(#","attempt":"#)
        guard number(fields.integer(.attempt)) else { return false }
        raw(#","cancel_requested":"#)
        guard bool(fields.flag(.cancelRequested)) else { return false }
        raw(#","context":"#)
        guard fields.appendJSON(.context, to: &out) else { return false }
        raw(#","cost_usd":"#)
        guard let cost = fields.cost() else { return false }
        if let cost { out.append(contentsOf: JSONValue.double(cost).text.utf8) } else { raw("null") }
        raw(#","created_at":"#)
        guard fields.appendText(.createdAt, to: &out) else { return false }
        raw(#","error":"#)
        guard fields.appendText(.error, to: &out) else { return false }
        raw(#","finished_at":"#)
        guard fields.appendText(.finishedAt, to: &out) else { return false }
        raw(#","id":"#)
        guard number(fields.integer(.id)) else { return false }
        raw(#","input":"#)
        guard fields.appendText(.input, to: &out) else { return false }
        raw(#","issue":"#)
        guard fields.appendText(.issue, to: &out) else { return false }
        raw(#","model":"#)
        guard fields.appendText(.model, to: &out) else { return false }
        raw(#","model_used":"#)
        guard fields.appendText(.modelUsed, to: &out) else { return false }
        raw(#","needs_input":"#)
        guard bool(fields.flag(.needsInput)) else { return false }
        raw(#","priority":"#)
        guard let priority = fields.priority() else { return false }
        JSONText.appendQuoted(priority.rawValue, to: &out)
        raw(#","progress":"#)
        guard fields.appendJSON(.progress, to: &out) else { return false }
        raw(#","prompt":"#)
        guard fields.appendText(.prompt, to: &out) else { return false }
        raw(#","provider":"#)
        guard fields.appendText(.provider, to: &out) else { return false }
        raw(#","report":"#)
        guard fields.appendJSON(.report, to: &out) else { return false }
        raw(#","result":"#)
        guard fields.appendText(.result, to: &out) else { return false }
        raw(#","routing":"#)
        guard fields.appendJSON(.routing, to: &out) else { return false }
        raw(#","started_at":"#)
        guard fields.appendText(.startedAt, to: &out) else { return false }
        raw(#","status":"#)
        guard let status = fields.status() else { return false }
        JSONText.appendQuoted(status.rawValue, to: &out)
        raw(#","tags":"#)
        guard fields.appendTags(to: &out) else { return false }
        raw(#","tier":"#)
        guard let tier = fields.tier() else { return false }
        JSONText.appendQuoted(tier.rawValue, to: &out)
        raw(#","tokens":{"input":"#)
        guard number(fields.integer(.tokensInput)) else { return false }
        raw(#","output":"#)
        guard number(fields.integer(.tokensOutput)) else { return false }
        raw(#"},"updated_at":"#)
        guard fields.appendText(.updatedAt, to: &out) else { return false }
        raw(#","worker":"#)
        guard fields.appendText(.worker, to: &out) else { return false }
        out.append(UInt8(ascii: "}"))
        return true
    }

    /// A list of strings as a JSON array (the `tags` field).
    static func appendStrings(_ items: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(item, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}

/// A `Job`'s own fields: each already what the API form needs, so no method fails.
struct OwnJobFields: JobFields {
    let job: Job

    func appendText(_ column: JobColumn, to out: inout [UInt8]) -> Bool {
        let value: String?
        switch column {
        case .tenant: value = job.tenant
        case .prompt: value = job.prompt
        case .input: value = job.input
        case .provider: value = job.provider
        case .model: value = job.model
        case .worker: value = job.worker
        case .issue: value = job.issue
        case .createdAt: value = job.createdAt
        case .updatedAt: value = job.updatedAt
        case .assignedAt: value = job.assignedAt
        case .startedAt: value = job.startedAt
        case .finishedAt: value = job.finishedAt
        case .result: value = job.result
        case .error: value = job.error
        case .leaseToken: value = job.leaseToken
        case .modelUsed: value = job.modelUsed
        default: preconditionFailure("\(column) is not a text field")
        }
        if let value { JSONText.appendQuoted(value, to: &out) } else { out.append(contentsOf: "null".utf8) }
        return true
    }

    func appendJSON(_ column: JobColumn, to out: inout [UInt8]) -> Bool {
        let value: String?
        switch column {
        case .progress: value = job.progress
        case .routing: value = job.routing
        case .context: value = job.context
        case .report: value = job.report
        default: preconditionFailure("\(column) is not a JSON field")
        }
        out.append(contentsOf: (value ?? "null").utf8)
        return true
    }

    func integer(_ column: JobColumn) -> Int64? {
        switch column {
        case .id: job.id
        case .attempt: Int64(job.attempt)
        case .tokensInput: job.tokensInput
        case .tokensOutput: job.tokensOutput
        default: preconditionFailure("\(column) is not an integer field")
        }
    }

    func flag(_ column: JobColumn) -> Bool? {
        switch column {
        case .cancelRequested: job.cancelRequested
        case .needsInput: job.needsInput
        default: preconditionFailure("\(column) is not a boolean field")
        }
    }

    func cost() -> Double?? { .some(job.costUSD) }
    func status() -> JobStatus? { job.status }
    func priority() -> JobPriority? { job.priority }
    func tier() -> JobTier? { job.tier }

    func appendTags(to out: inout [UInt8]) -> Bool {
        Job.appendStrings(job.tags, to: &out)
        return true
    }
}

/// A stored job's row of `Job.columns`, read in place: what `Job(row:)` would decode, without
/// copying each column into a `String` first (SPEC §1.3: `GET /api/jobs/:id` is on the event
/// loop). Text is repaired the way `Row` repairs it, so the answer is the same byte for byte.
struct StoredJobFields: JobFields {
    let row: RowView

    func appendText(_ column: JobColumn, to out: inout [UInt8]) -> Bool {
        if row.withText(at: column.rawValue, { Self.appendQuoted($0, to: &out) }) != nil { return true }
        return appendNull(column, to: &out)
    }

    func appendJSON(_ column: JobColumn, to out: inout [UInt8]) -> Bool {
        if row.withText(at: column.rawValue, { Self.appendRepaired($0, to: &out) }) != nil { return true }
        return appendNull(column, to: &out)
    }

    /// `null` for an optional column that is NULL; false for anything else (not text).
    private func appendNull(_ column: JobColumn, to out: inout [UInt8]) -> Bool {
        guard column.isOptional, row.isNull(at: column.rawValue) else { return false }
        out.append(contentsOf: "null".utf8)
        return true
    }

    func integer(_ column: JobColumn) -> Int64? {
        let value = row.value(at: column.rawValue)
        // `Job` holds the attempt as an Int; on 64-bit platforms every Int64 is one.
        return column == .attempt ? Int(sqlValue: value).map(Int64.init) : Int64(sqlValue: value)
    }

    func flag(_ column: JobColumn) -> Bool? { Bool(sqlValue: row.value(at: column.rawValue)) }

    func cost() -> Double?? {
        let value = row.value(at: JobColumn.costUSD.rawValue)
        if value.isNull { return .some(nil) }
        return Double(sqlValue: value).map { .some($0) }
    }

    // An unknown stored name reads as `Job(row:)` reads it.
    func status() -> JobStatus? { named(.status, Self.statuses).map { $0 ?? .failed } }
    func priority() -> JobPriority? { named(.priority, Self.priorities).map { $0 ?? .normal } }
    func tier() -> JobTier? { named(.tier, Self.tiers).map { $0 ?? .medium } }

    // Made once: `allCases` builds a new array at each call.
    private static let statuses = JobStatus.allCases
    private static let priorities = JobPriority.allCases
    private static let tiers = JobTier.allCases

    /// The case whose name the column holds (`.some(nil)` for none of them); nil when not text.
    private func named<Case: RawRepresentable>(_ column: JobColumn, _ cases: [Case]) -> Case??
    where Case.RawValue == String {
        row.withText(at: column.rawValue) { bytes in
            cases.first { $0.rawValue.utf8.elementsEqual(bytes) }
        }
    }

    func appendTags(to out: inout [UInt8]) -> Bool {
        let appended: Void? = row.withText(at: JobColumn.tags.rawValue) { bytes -> Void in
            // A job without tags, the usual case, needs no parse.
            if bytes.elementsEqual("[]".utf8) {
                out.append(contentsOf: "[]".utf8)
            } else {
                Job.appendStrings(StringListColumn.decode(String(decoding: bytes, as: UTF8.self)), to: &out)
            }
        }
        return appended != nil
    }

    /// Quoted as `JSONText` quotes the `String` a `Row` would hold: plain ASCII as it is, other
    /// text through that `String` (so invalid UTF-8 is replaced the same way).
    static func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if isASCII(bytes) {
            JSONText.appendQuoted(utf8: bytes, to: &out)
        } else {
            JSONText.appendQuoted(String(decoding: bytes, as: UTF8.self), to: &out)
        }
    }

    static func appendRepaired(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if isASCII(bytes) {
            out.append(contentsOf: bytes)
        } else {
            out.append(contentsOf: String(decoding: bytes, as: UTF8.self).utf8)
        }
    }

    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        return high < 0x80
    }

    /// Whether the columns the API form leaves out hold what `Job(row:)` accepts too, so a row
    /// it would refuse is refused here as well.
    func unshownAreValid() -> Bool {
        guard row.withText(at: JobColumn.tenant.rawValue, { _ in }) != nil else { return false }
        let token = JobColumn.leaseToken.rawValue
        guard row.isNull(at: token) || row.withText(at: token, { _ in }) != nil else { return false }
        let expiry = row.value(at: JobColumn.leaseExpiresMs.rawValue)
        return expiry.isNull || Int64(sqlValue: expiry) != nil
    }
}

/// A job's API form, with the worker it is assigned to: what deciding whether a worker key may
/// see it needs.
public struct StoredJobJSON: Sendable, Equatable {
    public let bytes: [UInt8]
    public let worker: String?

    /// Whether `worker` (a worker key acting for itself; nil for any other key) may see the job:
    /// a worker sees only its own jobs.
    public func isVisible(to worker: String?) -> Bool { worker == nil || self.worker == worker }
}

extension Job {
    /// What reading a job's row in place came to.
    enum InPlace: Equatable {
        case written(StoredJobJSON)
        /// A stored value `Job(row:)` refuses: read the usual way, which reports it.
        case unusual
    }

    /// The API form of job `id` of `tenant`, as `load(id:tenant:from:)` and `jsonText` would
    /// make it, written from the row in place; nil when there is no such job there.
    static func storedJSON(id: Int64, tenant: String, from conn: Connection) throws -> StoredJobJSON? {
        switch try jsonInPlace(id: id, tenant: tenant, from: conn) {
        case nil: return nil
        case .written(let json): return json
        case .unusual:
            guard let job = try load(id: id, tenant: tenant, from: conn) else { return nil }
            return StoredJobJSON(bytes: Array(job.jsonText.utf8), worker: job.worker)
        }
    }

    /// `storedJSON` from the row in place only; nil when there is no such job.
    static func jsonInPlace(id: Int64, tenant: String, from conn: Connection) throws -> InPlace? {
        try conn.withFirstRow(selectByTenant, [.integer(id), .text(tenant)]) { row -> InPlace in
            let fields = StoredJobFields(row: row)
            var out: [UInt8] = []
            out.reserveCapacity(1024)
            guard fields.unshownAreValid(), writeJSON(fields, to: &out) else { return .unusual }
            // The worker as `Job(row:)` holds it (text checked by the writer above).
            let worker = row.withText(at: JobColumn.worker.rawValue) { String(decoding: $0, as: UTF8.self) }
            return .written(StoredJobJSON(bytes: out, worker: worker))
        }
    }
}

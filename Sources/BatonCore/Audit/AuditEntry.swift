import BatonJSON

/// An audit entry before it is chained.
public struct AuditDraft: Sendable {
    public var tenant: String?
    public var actor: Actor
    public var action: String
    public var target: String
    public var requestID: String?
    public var source: String?
    public var status: Int?
    /// Already redacted (see `AuditRedaction`).
    public var diff: JSONValue

    public init(
        tenant: String?, actor: Actor, action: String, target: String, requestID: String? = nil, source: String? = nil,
        status: Int? = nil, diff: JSONValue = [:]
    ) {
        self.tenant = tenant
        self.actor = actor
        self.action = action
        self.target = target
        self.requestID = requestID
        self.source = source
        self.status = status
        self.diff = diff
    }
}

/// A stored audit entry.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: String
    public var tenant: String?
    public var actor: String
    public var actorName: String?
    public var action: String
    public var target: String
    public var requestID: String?
    public var source: String?
    public var status: Int?
    /// JSON text of the redacted diff.
    public var diff: String
    public var prevHash: String
    public var hash: String

    /// Everything the hash covers, as canonical (sorted-key) JSON text.
    public var canonicalContent: String {
        let fields: [String: JSONValue] = [
            "id": .int(id), "at": .string(at), "tenant": tenant.map(JSONValue.string) ?? .null,
            "actor": .string(actor), "actor_name": actorName.map(JSONValue.string) ?? .null,
            "action": .string(action), "target": .string(target),
            "request_id": requestID.map(JSONValue.string) ?? .null, "source": source.map(JSONValue.string) ?? .null,
            "status": status.map { .int(Int64($0)) } ?? .null, "diff": .string(diff), "prev_hash": .string(prevHash),
        ]
        return JSONValue.object(fields).text
    }

    public var json: JSONValue {
        [
            "id": .int(id), "at": .string(at), "tenant": tenant.map(JSONValue.string) ?? .null,
            "actor": .string(actor), "actor_name": actorName.map(JSONValue.string) ?? .null,
            "action": .string(action), "target": .string(target),
            "request_id": requestID.map(JSONValue.string) ?? .null, "source": source.map(JSONValue.string) ?? .null,
            "status": status.map { .int(Int64($0)) } ?? .null,
            "diff": (try? JSONParser.parse(diff)) ?? .string(diff), "hash": .string(hash),
        ]
    }
}

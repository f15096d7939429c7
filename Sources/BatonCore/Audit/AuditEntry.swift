import BatonJSON

/// An audit entry before it is chained.
public struct AuditDraft: Sendable {
    public var tenant: String?
    public var actor: AuditActor
    public var action: String
    public var target: String
    public var requestID: String?
    public var source: String?
    public var status: Int?
    /// Already redacted (see `AuditRedaction`).
    public var diff: JSONValue

    public init(
        tenant: String?, actor: AuditActor, action: String, target: String, requestID: String? = nil, source: String? = nil,
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

    /// Everything the hash covers, as canonical (sorted-key) JSON text: exactly what serialising
    /// these fields as a `JSONValue` object gives (a test holds the two equal), written field by
    /// field in key order because every append hashes it on the single writer.
    public var canonicalContent: String {
        var out: [UInt8] = []
        out.reserveCapacity(256 + diff.utf8.count)
        func key(_ name: StaticString) { name.withUTF8Buffer { out.append(contentsOf: $0) } }
        func text(_ value: String?) {
            if let value { JSONText.appendQuoted(value, to: &out) } else { key("null") }
        }
        key(#"{"action":"#)
        text(action)
        key(#","actor":"#)
        text(actor)
        key(#","actor_name":"#)
        text(actorName)
        key(#","at":"#)
        text(at)
        key(#","diff":"#)
        text(diff)
        key(#","id":"#)
        out.append(contentsOf: String(id).utf8)
        key(#","prev_hash":"#)
        text(prevHash)
        key(#","request_id":"#)
        text(requestID)
        key(#","source":"#)
        text(source)
        key(#","status":"#)
        if let status { out.append(contentsOf: String(status).utf8) } else { key("null") }
        key(#","target":"#)
        text(target)
        key(#","tenant":"#)
        text(tenant)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
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

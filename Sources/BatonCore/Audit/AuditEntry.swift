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
    /// How many requests the entry stands for (more than 1 when refused or anonymous requests
    /// were coalesced, SPEC §2.9).
    public var count: Int

    public init(
        tenant: String?, actor: AuditActor, action: String, target: String, requestID: String? = nil,
        source: String? = nil,
        status: Int? = nil, diff: JSONValue = [:], count: Int = 1
    ) {
        self.tenant = tenant
        self.actor = actor
        self.action = action
        self.target = target
        self.requestID = requestID
        self.source = source
        self.status = status
        self.diff = diff
        self.count = max(1, count)
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
    /// How many requests the entry stands for; 1 unless coalesced (migration 0018).
    public var count: Int

    public init(
        id: Int64, at: String, tenant: String?, actor: String, actorName: String?, action: String, target: String,
        requestID: String?, source: String?, status: Int?, diff: String, prevHash: String, hash: String, count: Int = 1
    ) {
        self.id = id
        self.at = at
        self.tenant = tenant
        self.actor = actor
        self.actorName = actorName
        self.action = action
        self.target = target
        self.requestID = requestID
        self.source = source
        self.status = status
        self.diff = diff
        self.prevHash = prevHash
        self.hash = hash
        self.count = count
    }

    /// Everything the hash covers, as canonical (sorted-key) JSON text: exactly what serialising
    /// these fields as a `JSONValue` object gives (a test holds the two equal), written field by
    /// field in key order because every append hashes it on the single writer. `count` is a field
    /// only when it is not 1: entries from before it existed hash as they always did, and changing
    /// any count (to or from 1 too) changes the content.
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
        if count != 1 {
            key(#","count":"#)
            out.append(contentsOf: String(count).utf8)
        }
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
            "count": .int(Int64(count)),
        ]
    }
}

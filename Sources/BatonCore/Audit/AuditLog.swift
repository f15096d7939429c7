import BatonCrypto
import BatonJSON
import BatonStore

/// The append-only, hash-chained audit log. Appends run on the database's single writer, and each
/// reads the chain head inside its own transaction, so concurrent appends can never fork the chain.
public final class AuditLog: Sendable {
    public static let genesisHash = String(repeating: "0", count: 64)

    public let database: Database
    private let events: EventBus

    public init(database: Database, events: EventBus) {
        self.database = database
        self.events = events
    }

    /// Appends and commits one entry, then announces it as an `audit.appended` event.
    @discardableResult
    public func append(_ draft: AuditDraft) async throws -> AuditEntry {
        let (entry, event) = try await database.write { conn in
            let entry = try AuditLog.insert(draft, into: conn)
            let event = try EventBus.insert(AuditLog.eventDraft(entry), into: conn)
            return (entry, event)
        }
        events.didCommit([event])
        return entry
    }

    /// Appends inside a caller's transaction (the caller passes the event to `EventBus.didCommit`).
    public static func insert(_ draft: AuditDraft, into conn: Connection, at time: String = Timestamp.now()) throws
        -> AuditEntry
    {
        let head = try conn.queryOne("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
        let actorName: String? =
            switch draft.actor {
            case .key(let p): p.name
            case .system, .linear, .anonymous: nil
            }
        var entry = AuditEntry(
            id: (head?.int64("id") ?? 0) + 1, at: time, tenant: draft.tenant, actor: draft.actor.label,
            actorName: actorName, action: draft.action, target: draft.target, requestID: draft.requestID,
            source: draft.source, status: draft.status, diff: draft.diff.text,
            prevHash: head?.string("hash") ?? genesisHash, hash: "")
        entry.hash = hash(entry)
        try conn.execute(
            """
            INSERT INTO audit (id, at, tenant, actor, actor_name, action, target, request_id, source, status, diff,
                prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            """,
            [
                .integer(entry.id), .text(entry.at), entry.tenant.map(SQLValue.text) ?? .null, .text(entry.actor),
                entry.actorName.map(SQLValue.text) ?? .null, .text(entry.action), .text(entry.target),
                entry.requestID.map(SQLValue.text) ?? .null, entry.source.map(SQLValue.text) ?? .null,
                entry.status.map { .integer(Int64($0)) } ?? .null, .text(entry.diff), .text(entry.prevHash),
                .text(entry.hash),
            ])
        return entry
    }

    static func eventDraft(_ entry: AuditEntry) -> EventDraft {
        let data: JSONValue = [
            "audit_id": .int(entry.id), "action": .string(entry.action), "target": .string(entry.target),
            "actor": .string(entry.actor), "status": entry.status.map { .int(Int64($0)) } ?? .null,
        ]
        return EventDraft(type: "audit.appended", tenant: entry.tenant, data: data.text)
    }

    static func hash(_ entry: AuditEntry) -> String {
        Hex.encode(SHA256Digest.hash(Array(entry.canonicalContent.utf8)))
    }

    // MARK: Reading

    public struct Filter: Sendable {
        public var tenant: String?
        public var action: String?
        public var actor: String?
        public var target: String?
        public var since: String?
        public var until: String?
        public init(
            tenant: String? = nil, action: String? = nil, actor: String? = nil, target: String? = nil,
            since: String? = nil, until: String? = nil
        ) {
            self.tenant = tenant
            self.action = action
            self.actor = actor
            self.target = target
            self.since = since
            self.until = until
        }
    }

    /// Entries matching `filter`, newest first, and how many match in all.
    public func list(_ filter: Filter, limit: Int, offset: Int) async throws -> (entries: [AuditEntry], total: Int) {
        var conditions: [String] = []
        var bindings: [SQLValue] = []
        func add(_ sql: String, _ value: String?) {
            guard let value else { return }
            bindings.append(.text(value))
            conditions.append(sql.replacingPlaceholder(with: bindings.count))
        }
        add("tenant = ?", filter.tenant)
        add("action = ?", filter.action)
        add("actor = ?", filter.actor)
        add("target = ?", filter.target)
        add("at >= ?", filter.since)
        add("at <= ?", filter.until)
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let pageBindings = bindings + [.integer(Int64(limit)), .integer(Int64(offset))]
        let countBindings = bindings
        let n = bindings.count
        return try await database.read { conn in
            let total = try conn.scalar("SELECT count(*) FROM audit" + whereClause, countBindings)?.intValue ?? 0
            let rows = try conn.query(
                "SELECT * FROM audit\(whereClause) ORDER BY id DESC LIMIT ?\(n + 1) OFFSET ?\(n + 2)", pageBindings)
            return (rows.compactMap(AuditLog.entry(from:)), total)
        }
    }

    public enum Verification: Sendable, Equatable {
        case intact(entries: Int)
        case broken(entryID: Int64, reason: String)
    }

    /// Walks the whole chain in id order, recomputing every hash.
    public func verify() throws -> Verification {
        var previous = AuditLog.genesisHash
        var expectedID: Int64 = 1
        var count = 0
        var after: Int64 = 0
        while true {
            let from = after
            let rows = try database.readBlocking { conn in
                try conn.query("SELECT * FROM audit WHERE id > ?1 ORDER BY id LIMIT 1000", [.integer(from)])
            }
            if rows.isEmpty { return .intact(entries: count) }
            for row in rows {
                guard let entry = AuditLog.entry(from: row) else {
                    return .broken(entryID: row.int64("id") ?? -1, reason: "the row cannot be read")
                }
                if entry.id != expectedID {
                    return .broken(entryID: entry.id, reason: "entries \(expectedID)…\(entry.id - 1) are missing")
                }
                if entry.prevHash != previous {
                    return .broken(entryID: entry.id, reason: "its link to the previous entry does not match")
                }
                if AuditLog.hash(entry) != entry.hash {
                    return .broken(entryID: entry.id, reason: "its content does not match its hash")
                }
                previous = entry.hash
                expectedID += 1
                count += 1
                after = entry.id
            }
        }
    }

    static func entry(from row: Row) -> AuditEntry? {
        guard let id = row.int64("id"), let at = row.string("at"), let actor = row.string("actor"),
            let action = row.string("action"), let target = row.string("target"), let diff = row.string("diff"),
            let prev = row.string("prev_hash"), let hash = row.string("hash")
        else { return nil }
        return AuditEntry(
            id: id, at: at, tenant: row.string("tenant"), actor: actor, actorName: row.string("actor_name"),
            action: action, target: target, requestID: row.string("request_id"), source: row.string("source"),
            status: row.int("status"), diff: diff, prevHash: prev, hash: hash)
    }
}

extension String {
    /// `"a = ?"` → `"a = ?3"`: numbered parameters, so each binding's position is explicit.
    fileprivate func replacingPlaceholder(with n: Int) -> String {
        guard let q = lastIndex(of: "?") else { return self }
        return String(self[..<q]) + "?\(n)" + String(self[index(after: q)...])
    }
}

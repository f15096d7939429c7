import BatonCrypto
import BatonJSON
import BatonStore
import BatonWorkerProtocol
import Synchronization

/// The append-only, hash-chained audit log. Appends run on the database's single writer, and each
/// reads the chain head inside its own transaction, so concurrent appends can never fork the chain.
public final class AuditLog: Sendable {
    public static let genesisHash = String(repeating: "0", count: 64)

    public let database: Database
    private let events: EventBus
    private let pending = Mutex<Pending>(Pending())

    /// Appends waiting for the writer. Under load many requests finish at once; one write closure
    /// takes all of them, reading the chain head once, instead of one closure (with its
    /// savepoint, head query and wake-up) per entry.
    private struct Pending {
        var waiting: [Waiting] = []
        /// A drain is submitted and has not yet taken the waiting list.
        var drainQueued = false
    }

    private struct Waiting: Sendable {
        var draft: AuditDraft
        var at: String
        var diff: String
        var continuation: CheckedContinuation<AuditEntry, any Error>
    }

    public init(database: Database, events: EventBus) {
        self.database = database
        self.events = events
    }

    /// Appends and commits one entry, then announces it as an `audit.appended` event. Returns once
    /// the entry is committed (or throws if it could not be).
    @discardableResult
    public func append(_ draft: AuditDraft) async throws -> AuditEntry {
        // Serialised here, on the caller's thread, to keep the single writer's share small.
        let at = Timestamp.now()
        let diff = draft.diff.text
        return try await withCheckedThrowingContinuation { continuation in
            let submit = pending.withLock { pending -> Bool in
                pending.waiting.append(Waiting(draft: draft, at: at, diff: diff, continuation: continuation))
                if pending.drainQueued { return false }
                pending.drainQueued = true
                return true
            }
            if submit { Task { await self.drain() } }
        }
    }

    private final class Taken: @unchecked Sendable {
        // @unchecked: written once on the writer thread, read after the write returns.
        var waiting: [Waiting] = []
    }

    /// One write closure for every append waiting when it runs.
    private func drain() async {
        let taken = Taken()
        do {
            let (entries, inserted) = try await database.write { [self] conn in
                taken.waiting = self.pending.withLock { pending in
                    pending.drainQueued = false
                    defer { pending.waiting = [] }
                    return pending.waiting
                }
                var head = try AuditLog.head(conn)
                var entries: [AuditEntry] = []
                var inserted: [Event] = []
                for waiting in taken.waiting {
                    let entry = try AuditLog.insert(
                        waiting.draft, diff: waiting.diff, into: conn, at: waiting.at, after: head)
                    head = (entry.id, entry.hash)
                    entries.append(entry)
                    inserted.append(try EventBus.insert(AuditLog.eventDraft(entry), into: conn))
                }
                return (entries, inserted)
            }
            events.didCommit(inserted)
            for (waiting, entry) in zip(taken.waiting, entries) { waiting.continuation.resume(returning: entry) }
        } catch {
            // The closure may not have run at all (the database closed): fail what it would have taken.
            let left = pending.withLock { pending -> [Waiting] in
                guard taken.waiting.isEmpty else { return [] }
                pending.drainQueued = false
                defer { pending.waiting = [] }
                return pending.waiting
            }
            for waiting in taken.waiting + left { waiting.continuation.resume(throwing: error) }
        }
    }

    /// Appends inside a caller's transaction (the caller passes the event to `EventBus.didCommit`).
    public static func insert(_ draft: AuditDraft, into conn: Connection, at time: String = Timestamp.now()) throws
        -> AuditEntry
    {
        try insert(draft, diff: draft.diff.text, into: conn, at: time, after: head(conn))
    }

    /// The newest entry's id and hash; with every entry pruned, the anchor's (SPEC §1.4), so the
    /// chain continues from it; 0 and the genesis hash for a log that never had an entry.
    static func head(_ conn: Connection) throws -> (id: Int64, hash: String) {
        if let row = try conn.queryOne("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"),
            let id = row.int64("id"), let hash = row.string("hash")
        {
            return (id, hash)
        }
        if let anchor = try AuditAnchor.load(conn) { return (anchor.lastID, anchor.lastHash) }
        return (0, genesisHash)
    }

    private static func insert(
        _ draft: AuditDraft, diff: String, into conn: Connection, at time: String, after head: (id: Int64, hash: String)
    ) throws -> AuditEntry {
        let actorName: String? =
            switch draft.actor {
            case .key(let p): p.name
            case .system, .anonymous: nil
            }
        var entry = AuditEntry(
            id: head.id + 1, at: time, tenant: draft.tenant, actor: draft.actor.label, actorName: actorName,
            action: draft.action, target: draft.target, requestID: draft.requestID, source: draft.source,
            status: draft.status, diff: diff, prevHash: head.hash, hash: "", count: draft.count)
        entry.hash = hash(entry)
        try conn.execute(
            """
            INSERT INTO audit (id, at, tenant, actor, actor_name, action, target, request_id, source, status, diff,
                prev_hash, hash, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
            """,
            [
                .integer(entry.id), .text(entry.at), entry.tenant.map(SQLValue.text) ?? .null, .text(entry.actor),
                entry.actorName.map(SQLValue.text) ?? .null, .text(entry.action), .text(entry.target),
                entry.requestID.map(SQLValue.text) ?? .null, entry.source.map(SQLValue.text) ?? .null,
                entry.status.map { .integer(Int64($0)) } ?? .null, .text(entry.diff), .text(entry.prevHash),
                .text(entry.hash), .integer(Int64(entry.count)),
            ])
        return entry
    }

    /// The `audit.appended` event announcing `entry` (SPEC §12.3).
    public static func eventDraft(_ entry: AuditEntry) -> EventDraft {
        let data: JSONValue = [
            "audit_id": .int(entry.id), "action": .string(entry.action), "target": .string(entry.target),
            "actor": .string(entry.actor), "status": entry.status.map { .int(Int64($0)) } ?? .null,
            "count": .int(Int64(entry.count)),
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

    /// Walks the whole chain in id order, recomputing every hash. After a prune it starts from
    /// the anchor: the first entry kept must link to the hash recorded for the last one removed.
    public func verify() throws -> Verification { try verify(batch: 1000, afterRead: nil) }

    /// `verify` in batches of `batch` rows; `afterRead` runs after each batch is read (tests run a
    /// prune there, as another process would).
    func verify(batch: Int, afterRead: (() throws -> Void)?) throws -> Verification {
        let anchor = try database.readBlocking { try AuditAnchor.load($0) }
        var previous = anchor?.lastHash ?? AuditLog.genesisHash
        var expectedID: Int64 = (anchor?.lastID ?? 0) + 1
        var count = 0
        // Entries up to the anchor that an interrupted prune left are on their way out: they were
        // verified before the anchor was recorded, and are not part of the chain kept.
        var after: Int64 = anchor?.lastID ?? 0
        var anchorID = after
        while true {
            let from = after
            let rows = try database.readBlocking { conn in
                try conn.query(
                    "SELECT * FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2", [.integer(from), .integer(Int64(batch))])
            }
            if rows.isEmpty { return .intact(entries: count) }
            try afterRead?()
            for row in rows {
                guard let entry = AuditLog.entry(from: row) else {
                    return .broken(entryID: row.int64("id") ?? -1, reason: "the row cannot be read")
                }
                after = entry.id
                // Read before a prune running beside us deleted it: outside the chain kept.
                if entry.id <= anchorID { continue }
                if entry.id != expectedID {
                    // A prune that ran since the anchor was read removed these entries: its new
                    // anchor, which covers the gap, carries the chain on from its last removed
                    // entry (SPEC §1.4).
                    guard let moved = try database.readBlocking({ try AuditAnchor.load($0) }),
                        moved.lastID > anchorID, moved.lastID >= entry.id - 1
                    else {
                        return .broken(entryID: entry.id, reason: "entries \(expectedID)…\(entry.id - 1) are missing")
                    }
                    anchorID = moved.lastID
                    previous = moved.lastHash
                    expectedID = moved.lastID + 1
                    if entry.id <= anchorID { continue }
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
            status: row.int("status"), diff: diff, prevHash: prev, hash: hash, count: row.int("count") ?? 1)
    }
}

extension String {
    /// `"a = ?"` → `"a = ?3"`: numbered parameters, so each binding's position is explicit.
    fileprivate func replacingPlaceholder(with n: Int) -> String {
        guard let q = lastIndex(of: "?") else { return self }
        return String(self[..<q]) + "?\(n)" + String(self[index(after: q)...])
    }
}

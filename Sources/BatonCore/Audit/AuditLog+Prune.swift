import BatonStore
import BatonWorkerProtocol

extension AuditLog {
    public enum PruneError: Error, Equatable, CustomStringConvertible {
        /// The chain does not verify: pruning would remove the evidence.
        case broken(entryID: Int64, reason: String)

        public var description: String {
            switch self {
            case .broken(let id, let reason):
                "audit entry \(id) is broken (\(reason)); nothing was pruned, so the evidence stays"
            }
        }
    }

    public struct PruneResult: Sendable, Equatable {
        /// Entries removed by this prune.
        public var removed: Int
        /// The anchor after it (nil when the log had nothing older than `before`).
        public var anchor: AuditAnchor?
    }

    /// `baton audit prune --before`: removes every entry written before `before` (a timestamp in
    /// the stored format) — the longest run from the start of the chain that is older — after
    /// verifying the whole chain and recording the last removed entry's hash as the anchor, in
    /// transactions of at most `batch` rows. Blocks; for the command line.
    public func prune(before: String, batch: Int = 5000) throws -> PruneResult {
        if case .broken(let id, let reason) = try verify() { throw PruneError.broken(entryID: id, reason: reason) }
        let now = Timestamp.now()
        let anchor = try database.writeBlocking { conn -> AuditAnchor? in
            let previous = try AuditAnchor.load(conn)
            // The first entry not old enough; everything before it goes.
            let keep = try conn.scalar("SELECT min(id) FROM audit WHERE at >= ?1", [.text(before)])?.int64Value
            let lastOld: Int64?
            if let keep {
                lastOld = keep - 1
            } else {
                lastOld = try conn.scalar("SELECT max(id) FROM audit")?.int64Value
            }
            guard let lastOld, lastOld > (previous?.lastID ?? 0),
                let row = try conn.queryOne("SELECT hash, at FROM audit WHERE id = ?1", [.integer(lastOld)])
            else { return previous }
            let anchor = AuditAnchor(
                lastID: lastOld, lastHash: try row.decode("hash"), lastAt: try row.decode("at"), prunedAt: now,
                prunedBefore: before)
            try anchor.save(conn)
            return anchor
        }
        guard let anchor else { return PruneResult(removed: 0, anchor: nil) }
        var removed = 0
        let limit = Int64(max(1, batch))
        while true {
            let n = try database.writeBlocking { conn -> Int in
                try conn.execute(
                    "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE id <= ?1 ORDER BY id LIMIT ?2)",
                    [.integer(anchor.lastID), .integer(limit)])
                return conn.changes
            }
            removed += n
            if n < limit { break }
        }
        return PruneResult(removed: removed, anchor: anchor)
    }

    /// The anchor of the last prune, if the log was ever pruned.
    public func anchor() throws -> AuditAnchor? {
        try database.readBlocking { try AuditAnchor.load($0) }
    }
}

import BatonStore

/// Where a pruned audit chain starts (SPEC §1.4): the id and hash of the last entry removed.
/// The database refuses to delete an entry after it, and it only moves forward.
public struct AuditAnchor: Sendable, Equatable {
    public var lastID: Int64
    public var lastHash: String
    /// When the last entry removed was written.
    public var lastAt: String
    public var prunedAt: String
    /// The `--before` of the prune that set it.
    public var prunedBefore: String

    static func load(_ conn: Connection) throws -> AuditAnchor? {
        guard
            let row = try conn.queryOne(
                "SELECT last_id, last_hash, last_at, pruned_at, pruned_before FROM audit_anchor WHERE id = 1")
        else { return nil }
        return AuditAnchor(
            lastID: try row.decode("last_id"), lastHash: try row.decode("last_hash"), lastAt: try row.decode("last_at"),
            prunedAt: try row.decode("pruned_at"), prunedBefore: try row.decode("pruned_before"))
    }

    func save(_ conn: Connection) throws {
        try conn.execute(
            """
            INSERT INTO audit_anchor (id, last_id, last_hash, last_at, pruned_at, pruned_before)
            VALUES (1, ?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (id) DO UPDATE SET last_id = ?1, last_hash = ?2, last_at = ?3, pruned_at = ?4,
                pruned_before = ?5
            """, [.integer(lastID), .text(lastHash), .text(lastAt), .text(prunedAt), .text(prunedBefore)])
    }
}

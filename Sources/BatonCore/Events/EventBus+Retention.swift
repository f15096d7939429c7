import BatonStore

extension EventBus {
    /// One batch of retention (SPEC §1.4): removes events created before `cutoff`. Ids are never
    /// reused (the table is AUTOINCREMENT), so a stream resuming from a removed id continues at
    /// the oldest event kept.
    public static func prune(_ conn: Connection, _ walk: inout AgedRows, before cutoff: String, limit: Int) throws
        -> Int
    {
        try walk.apply("DELETE FROM events WHERE id > ?1 AND id <= ?2 AND at < ?3", conn, before: cutoff, limit: limit)
    }
}

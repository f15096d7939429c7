import BatonStore

extension WebhookInbox {
    /// One batch of retention (SPEC §1.4): removes processed deliveries received before `cutoff`.
    /// Unprocessed ones stay whatever their age: they are still to be applied.
    public static func prune(_ conn: Connection, _ walk: inout AgedRows, before cutoff: String, limit: Int) throws
        -> Int
    {
        try walk.apply(
            """
            DELETE FROM webhook_deliveries WHERE rowid > ?1 AND rowid <= ?2 AND received_at < ?3
                AND processed_at IS NOT NULL
            """, conn, before: cutoff, limit: limit)
    }
}

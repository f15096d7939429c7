/// Prepared statements of one connection keyed by SQL text, evicting the least recently used.
final class StatementCache {
    private var entries: [String: (statement: Statement, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var count: Int { entries.count }

    /// The cached statement for `sql`, or a new one from `prepare` (cached when there is room).
    func statement(for sql: String, prepare: () throws -> Statement?) rethrows -> Statement? {
        clock &+= 1
        if let entry = entries[sql] {
            entries[sql] = (entry.statement, clock)
            return entry.statement
        }
        guard let statement = try prepare() else { return nil }
        guard capacity > 0 else { return statement }
        if entries.count >= capacity,
            let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            // A linear scan on eviction only: the cache is small and hits are the common case.
            entries[oldest.key] = nil
        }
        entries[sql] = (statement, clock)
        return statement
    }

    /// Finalizes every statement (by releasing it); required before the connection closes.
    func removeAll() { entries.removeAll() }
}

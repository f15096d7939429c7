#if canImport(Glibc)
    import Glibc
#endif

/// Prepared statements of one connection keyed by SQL text, evicting the least recently used.
final class StatementCache {
    private var entries: [SQLKey: Entry] = [:]
    private var clock: UInt64 = 0
    let capacity: Int

    private final class Entry {
        let statement: Statement
        var lastUse: UInt64
        init(_ statement: Statement, lastUse: UInt64) {
            self.statement = statement
            self.lastUse = lastUse
        }
    }

    /// SQL text as a key hashed on its length and its first and last 16 bytes only:
    /// statements are long and looked up on every query, and two different texts that share all
    /// of that still compare unequal, so they merely share a bucket. Five words to the hasher,
    /// not a byte at a time: a read by key does three look-ups, and 49 bytes each cost as much as the read.
    private struct SQLKey: Hashable {
        let sql: String

        func hash(into hasher: inout Hasher) {
            let utf8 = sql.utf8
            hasher.combine(utf8.count)
            let hashed = utf8.withContiguousStorageIfAvailable { bytes -> Bool in
                let tail = max(0, bytes.count - 16)
                hasher.combine(Self.word(bytes, from: 0))
                hasher.combine(Self.word(bytes, from: 8))
                hasher.combine(Self.word(bytes, from: tail))
                hasher.combine(Self.word(bytes, from: tail + 8))
                return true
            }
            if hashed == nil {
                for byte in utf8.prefix(16) { hasher.combine(byte) }
                for byte in utf8.suffix(16) { hasher.combine(byte) }
            }
        }

        /// Up to eight bytes from `start` as one integer (0 past the end).
        private static func word(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> UInt64 {
            var word: UInt64 = 0
            var i = start
            while i < bytes.count && i < start + 8 {
                word = word << 8 | UInt64(bytes[i])
                i += 1
            }
            return word
        }

        /// Byte for byte, as SQLite reads it (String's `==` takes canonically equivalent text,
        /// such as combining marks in another order, as equal), with `memcmp`: a generic loop
        /// over the two UTF-8 views was the writer's costliest code of its own. A literal looked
        /// up again is the same storage and needs no comparison.
        static func == (a: SQLKey, b: SQLKey) -> Bool {
            guard a.sql.utf8.count == b.sql.utf8.count else { return false }
            guard a.sql.utf8.count > 0 else { return true }
            let compared = a.sql.utf8.withContiguousStorageIfAvailable { x in
                b.sql.utf8.withContiguousStorageIfAvailable { y in
                    x.baseAddress == y.baseAddress || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
                }
            }
            return (compared ?? nil) ?? a.sql.utf8.elementsEqual(b.sql.utf8)
        }
    }

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var count: Int { entries.count }

    /// The cached statement for `sql`, or a new one from `prepare` (cached when there is room).
    func statement(for sql: String, prepare: () throws -> Statement?) rethrows -> Statement? {
        clock &+= 1
        let key = SQLKey(sql: sql)
        if let entry = entries[key] {
            entry.lastUse = clock
            return entry.statement
        }
        guard let statement = try prepare() else { return nil }
        guard capacity > 0 else { return statement }
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            // A linear scan on eviction only: the cache is small and hits are the common case.
            entries[oldest.key] = nil
        }
        entries[key] = Entry(statement, lastUse: clock)
        return statement
    }

    /// Finalizes every statement (by releasing it); required before the connection closes.
    func removeAll() { entries.removeAll() }
}

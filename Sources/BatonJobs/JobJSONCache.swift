import Synchronization

/// The API forms of jobs read lately, each kept until its row changes: `GET /api/jobs/:id` of a
/// job nothing changed is answered from here, without a read (SPEC §1.3). The writer reports
/// every changed job row (`Database.watchRows`) once its change has ended and before its callers
/// resume, so an answer is never older than this process's last change to that job. A change
/// made by another process is not reported; `maxAge` bounds how long such a change goes unseen.
/// Bounded in entries and bytes.
final class JobJSONCache: Sendable {
    private struct Entry {
        let tenant: String
        let json: StoredJobJSON
        let keptAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        var bytes = 0
    }

    let maxEntries: Int
    let maxBytes: Int
    /// A larger job (a long prompt or result) is read each time instead.
    let maxEntryBytes: Int
    let maxAge: Duration
    /// The writer's count of ended changes (`Database.writesEnded`).
    private let writesEnded: @Sendable () -> UInt64
    private let state = Mutex(State())

    init(
        maxEntries: Int = 256, maxBytes: Int = 1 << 20, maxEntryBytes: Int = 16 << 10, maxAge: Duration = .seconds(1),
        writesEnded: @escaping @Sendable () -> UInt64
    ) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.maxEntryBytes = maxEntryBytes
        self.maxAge = maxAge
        self.writesEnded = writesEnded
    }

    /// Job `id` of `tenant` as kept; nil when not held (or kept for another tenant, or too long).
    func json(_ id: Int64, tenant: String, now: ContinuousClock.Instant = .now) -> StoredJobJSON? {
        state.withLock { state in
            guard let entry = state.entries[id], entry.tenant == tenant, now - entry.keptAt < maxAge else { return nil }
            return entry.json
        }
    }

    /// Keeps `json`, read after the writer had ended `ended` changes, if it has ended no other
    /// since: a change ending later reports its rows after moving the count, so it either finds
    /// this entry and drops it or comes before it and makes the count differ here.
    func store(
        _ json: StoredJobJSON, id: Int64, tenant: String, readAfter ended: UInt64, now: ContinuousClock.Instant = .now
    ) {
        // Counted by what each answer holds allocated, so the bound is on memory, not on text.
        guard json.bytes.capacity <= maxEntryBytes else { return }
        state.withLock { state in
            guard writesEnded() == ended else { return }
            if let old = state.entries.removeValue(forKey: id) { state.bytes -= old.json.bytes.capacity }
            if state.entries.count >= maxEntries || state.bytes + json.bytes.capacity > maxBytes {
                // Full: start over rather than track use (reads refill it at once).
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
            }
            state.entries[id] = Entry(tenant: tenant, json: json, keptAt: now)
            state.bytes += json.bytes.capacity
        }
    }

    /// Forgets jobs whose rows changed.
    func drop(_ ids: [Int64]) {
        state.withLock { state in
            guard !state.entries.isEmpty else { return }
            for id in ids {
                if let old = state.entries.removeValue(forKey: id) { state.bytes -= old.json.bytes.capacity }
            }
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}

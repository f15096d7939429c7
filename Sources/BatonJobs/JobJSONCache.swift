import Synchronization

/// The API forms of jobs read lately, valid while the database has not changed since they were
/// read (`Database.dataVersion`): `GET /api/jobs/:id` of a job nothing changed is answered from
/// here, without a read (SPEC §1.3). Any write the writer begins makes every entry stale, so an
/// answer is never older than the last change this process made; bounded in entries and bytes.
final class JobJSONCache: Sendable {
    private struct Key: Hashable {
        let id: Int64
        let tenant: String
    }

    private struct State {
        /// The data version every entry was read at.
        var version: UInt64 = 0
        var entries: [Key: StoredJobJSON] = [:]
        var bytes = 0
    }

    let maxEntries: Int
    let maxBytes: Int
    /// A larger job (a long prompt or result) is read each time instead.
    let maxEntryBytes: Int
    private let state = Mutex(State())

    init(maxEntries: Int = 256, maxBytes: Int = 1 << 20, maxEntryBytes: Int = 16 << 10) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.maxEntryBytes = maxEntryBytes
    }

    /// Job `id` of `tenant` as read at `version`, the data version now; nil when not held.
    func json(_ id: Int64, tenant: String, at version: UInt64) -> StoredJobJSON? {
        state.withLock { state in
            state.version == version ? state.entries[Key(id: id, tenant: tenant)] : nil
        }
    }

    /// Keeps `json`, read at `version` (the same before and after the read). Entries read at an
    /// older version are dropped first; a read older than the entries held is not kept.
    func store(_ json: StoredJobJSON, id: Int64, tenant: String, at version: UInt64) {
        // Counted by what each answer holds allocated, so the bound is on memory, not on text.
        guard json.bytes.capacity <= maxEntryBytes else { return }
        state.withLock { state in
            if version != state.version {
                guard version > state.version else { return }
                state = State(version: version)
            }
            let key = Key(id: id, tenant: tenant)
            if let old = state.entries[key] { state.bytes -= old.bytes.capacity }
            if state.entries[key] == nil
                && (state.entries.count >= maxEntries || state.bytes + json.bytes.capacity > maxBytes)
            {
                // Full: start over rather than track use (every change empties it anyway).
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
            }
            state.entries[key] = json
            state.bytes += json.bytes.capacity
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}

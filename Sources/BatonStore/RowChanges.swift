import CSQLite
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Rows the writer changed in the tables someone watches, collected by an update hook on the
/// write connection and handed to the watchers when the change that made them has ended,
/// committed or not, before its callers resume (SPEC §1.3). A cache of rows uses it to drop
/// just the rows that changed. SQLite does not report rows removed by `DELETE` without `WHERE`
/// (its truncate optimisation) or by `REPLACE` conflict resolution; a watched table must not be
/// changed that way.
final class RowChanges: Sendable {
    typealias Watcher = @Sendable ([Int64]) -> Void

    private struct State {
        var tables: [[CChar]] = []
        var watchers: [Watcher] = []
        /// Rowids touched per watch since the change began.
        var touched: [[Int64]] = []
        var anyTouched = false
    }

    private let state = Mutex(State())

    func watch(_ table: String, _ notify: @escaping Watcher) {
        state.withLock { state in
            state.tables.append(Array(table.utf8CString))
            state.watchers.append(notify)
            state.touched.append([])
        }
    }

    /// From the update hook, on the writer thread, inside the change.
    func record(table: UnsafePointer<CChar>, rowid: Int64) {
        state.withLock { state in
            for index in state.tables.indices
            where state.tables[index].withUnsafeBufferPointer({ strcmp($0.baseAddress!, table) }) == 0 {
                state.touched[index].append(rowid)
                state.anyTouched = true
            }
        }
    }

    /// After the change ended (the writer's ended count already moved on): tells each watcher
    /// which of its rows were touched.
    func changeEnded() {
        let pending = state.withLock { state -> [(Watcher, [Int64])] in
            guard state.anyTouched else { return [] }
            state.anyTouched = false
            var pending: [(Watcher, [Int64])] = []
            for index in state.touched.indices where !state.touched[index].isEmpty {
                pending.append((state.watchers[index], state.touched[index]))
                state.touched[index].removeAll(keepingCapacity: true)
            }
            return pending
        }
        for (notify, rowids) in pending { notify(rowids) }
    }
}

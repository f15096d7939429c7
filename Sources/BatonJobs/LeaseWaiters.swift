import BatonCore
import Synchronization

/// Workers long-polling for a lease, parked until a job is assigned to them or their wait ends.
/// Each worker has a generation counter: a wake-up that lands between a failed lease attempt and
/// parking is never lost, because parking with a stale generation returns at once.
final class LeaseWaiters: Sendable {
    private struct Slot {
        var generation: UInt64 = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private struct State {
        var slots: [WorkerKey: Slot] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    func generation(_ key: WorkerKey) -> UInt64 { state.withLock { $0.slots[key]?.generation ?? 0 } }

    var parkedCount: Int { state.withLock { $0.slots.values.reduce(0) { $0 + $1.waiters.count } } }

    func wake(_ keys: some Sequence<WorkerKey>) {
        var resumed: [CheckedContinuation<Void, Never>] = []
        state.withLock { state in
            for key in keys {
                var slot = state.slots[key] ?? Slot()
                slot.generation &+= 1
                resumed.append(contentsOf: slot.waiters.values)
                slot.waiters = [:]
                state.slots[key] = slot
            }
        }
        for continuation in resumed { continuation.resume() }
    }

    /// Returns when `key` is woken after generation `seen`, or after `timeout`, whichever is first.
    func wait(_ key: WorkerKey, seen: UInt64, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.park(key, seen: seen) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func park(_ key: WorkerKey, seen: UInt64) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    // Checked under the lock the cancellation handler also takes: either it ran
                    // already (and isCancelled is true) or it will find this continuation.
                    if Task.isCancelled || (state.slots[key]?.generation ?? 0) != seen { return true }
                    state.slots[key, default: Slot()].waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { $0.slots[key]?.waiters.removeValue(forKey: id) }
            continuation?.resume()
        }
    }
}

import BatonPlatform

/// A blocking FIFO between async callers and a connection thread. Only connection threads ever
/// wait on it; callers just push.
final class WorkQueue<Item: Sendable>: @unchecked Sendable {
    // @unchecked: every field is guarded by `condition`.
    private let condition = ConditionLock()
    private var items: [Item] = []
    private var isClosed = false

    /// Adds work; throws `DatabaseError.closed` once `close()` was called.
    func push(_ item: Item) throws {
        condition.lock()
        defer { condition.unlock() }
        guard !isClosed else { throw DatabaseError.closed }
        items.append(item)
        condition.signal()
    }

    /// Waits for work and takes the first item plus, while `joins` allows, up to `max - 1` more.
    /// Returns nil once the queue is closed and empty, so the caller can finish.
    /// When no work has come for `idleMs` (0: never), `idle` runs once, outside the lock, and the
    /// wait goes on: one wake-up per quiet spell, not a periodic one.
    func take(max: Int, idleMs: Int = 0, idle: () -> Void = {}, joins: (Item) -> Bool) -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        var idleDone = idleMs <= 0
        while items.isEmpty && !isClosed {
            if idleDone {
                condition.wait()
            } else if !condition.wait(milliseconds: idleMs), items.isEmpty, !isClosed {
                idleDone = true
                condition.unlock()
                idle()
                condition.lock()
            }
        }
        guard let first = items.first else { return nil }
        var count = 1
        if joins(first) {
            while count < max, count < items.count, joins(items[count]) { count += 1 }
        }
        let taken = Array(items.prefix(count))
        items.removeFirst(count)
        return taken
    }

    /// Refuses new work and wakes every waiting thread; queued work still drains.
    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count
    }
}

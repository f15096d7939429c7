import Synchronization

/// A wake-up for a loop: signals coalesce until it next waits; a wait also ends at its timeout
/// or when its task is cancelled.
public final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        var nextID = 0
        /// A wait that expired before its continuation was registered.
        var expired: Int?
    }
    private let state = Mutex(State())

    public init() {}

    public func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w.continuation
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Ends the wait `id` if it is still waiting (its timeout, or its task's cancellation).
    private func expire(_ id: Int) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter, w.id == id else {
                s.expired = id
                return nil
            }
            s.waiter = nil
            return w.continuation
        }
        waiter?.resume()
    }

    /// Returns at the next signal (at once if one came since the last wait), after `timeout`, or
    /// when the calling task is cancelled.
    public func wait(timeout: Duration) async {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLock { s -> Bool in
                        if s.pending || s.expired == id {
                            s.pending = false
                            return true
                        }
                        s.waiter = (id, continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
            await group.next()
            group.cancelAll()
        }
    }
}

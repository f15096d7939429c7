/// A gate that opens once and stays open: `wait` blocks a dedicated thread until `open` was
/// called (before or after), and returns at once every time after. For a thread's start-up and
/// finish, and for a caller waiting on one answer from another thread.
public final class Latch: @unchecked Sendable {
    // @unchecked: `isOpen` is touched only with `condition` held.
    private let condition = ConditionLock()
    private var isOpen = false

    public init() {}

    public func open() {
        condition.withLock {
            isOpen = true
            condition.broadcast()
        }
    }

    public func wait() {
        condition.withLock {
            while !isOpen { condition.wait() }
        }
    }
}

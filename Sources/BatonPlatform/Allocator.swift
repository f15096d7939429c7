import CLinux
import Synchronization

/// glibc's malloc, tuned for a long-running server (bench/RESULTS.md, "Soak"). Each thread that
/// allocates under contention gets an arena of its own (up to 8 per core), and freed memory
/// inside an arena goes back to the system only from its top, so after a load peak the heap
/// keeps its high-water mark, spread over many arenas. Fewer arenas and a periodic trim (which
/// releases every free page of every arena) bring the resident size back down once load drops.
public enum Allocator {
    /// Caps the number of arenas (0 leaves glibc's default). Threads already attached to an
    /// arena keep it, so call this before starting threads.
    public static func limitArenas(_ count: Int) {
        guard count > 0, let arenas = Int32(exactly: count) else { return }
        _ = baton_malloc_arena_max(arenas)
    }

    /// Returns the free pages of every arena to the system; true when some were released.
    @discardableResult
    public static func trim() -> Bool { baton_malloc_trim() != 0 }
}

/// Trims the heap every `interval` on a thread of its own (malloc_trim walks every arena under
/// its lock: blocking work, kept off the cooperative pool) until stopped.
public final class AllocatorTrimmer: Sendable {
    private let lock = ConditionLock()
    private let stopped = Atomic<Bool>(false)

    /// Starts trimming every `intervalMs` milliseconds; nothing runs when it is 0. `beforeTrim`
    /// runs first each time, to let go of what is worth keeping only while busy.
    public init(intervalMs: Int, beforeTrim: @escaping @Sendable () -> Void = {}) {
        guard intervalMs > 0 else { return }
        OSThread.detach(name: "baton-trim") { [self] in
            lock.lock()
            while !stopped.load(ordering: .relaxed) {
                if !lock.wait(milliseconds: intervalMs) && !stopped.load(ordering: .relaxed) {
                    lock.unlock()
                    beforeTrim()
                    Allocator.trim()
                    lock.lock()
                }
            }
            lock.unlock()
        }
    }

    public func stop() {
        lock.withLock {
            stopped.store(true, ordering: .relaxed)
            lock.broadcast()
        }
    }
}

// ThreadSanitizer reports a "Swift access race" between two critical sections of one
// Synchronization.Mutex once the lock is contended: the slow path (_lockSlow/_unlockSlow, futex
// calls in the toolchain's uninstrumented libswiftSynchronization.so) is invisible to it.
//   swiftc -sanitize=thread -g bench/sanitizers/mutex-tsan.swift -o /tmp/mutex-tsan && /tmp/mutex-tsan
// Prints 400, then a race report; exit status 66. Without the usleep (no contention) it is clean.
import Glibc
import Synchronization

final class Shared: Sendable { let values = Mutex<[Int]>([]) }
let shared = Shared()
var threads: [pthread_t] = []
for _ in 0..<2 {
    var thread = pthread_t()
    pthread_create(
        &thread, nil,
        { _ in
            for i in 0..<200 {
                shared.values.withLock {
                    $0.append(i)
                    usleep(100)
                }
            }
            return nil
        }, nil)
    threads.append(thread)
}
for thread in threads { pthread_join(thread, nil) }
print(shared.values.withLock { $0.count })

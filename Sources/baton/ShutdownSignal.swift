import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM and SIGINT. `install` takes them over from their default action (which ends the
/// process at once) as the first thing a long-running command does, so a signal that arrives
/// while it starts is kept and answered with a graceful stop once `wait` is reached. A second
/// signal while shutting down exits at once, so an operator is never stuck behind a slow drain.
enum ShutdownSignal {
    private static let queue = DispatchQueue(label: "baton.signals")
    // Touched only on `queue`.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    nonisolated(unsafe) private static var waiter: CheckedContinuation<Int32, Never>?
    nonisolated(unsafe) private static var caught: Int32?
    private static let received = Atomic<Int>(0)

    static func install() {
        queue.sync {
            guard sources.isEmpty else { return }
            for sig in [SIGTERM, SIGINT] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                source.setEventHandler {
                    guard received.add(1, ordering: .relaxed).newValue == 1 else { _exit(1) }
                    if let waiting = waiter {
                        waiter = nil
                        waiting.resume(returning: sig)
                    } else {
                        caught = sig
                    }
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// The first signal, whether it came before this call or after.
    static func wait() async -> Int32 {
        install()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            queue.sync {
                if let caught {
                    continuation.resume(returning: caught)
                } else {
                    waiter = continuation
                }
            }
        }
    }
}

import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for SIGTERM or SIGINT. A second signal while shutting down exits at once, so an operator
/// is never stuck behind a slow drain.
enum ShutdownSignal {
    private static let queue = DispatchQueue(label: "baton.signals")
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    private static let received = Atomic<Int>(0)

    static func wait() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            queue.sync {
                for sig in [SIGTERM, SIGINT] {
                    signal(sig, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                    source.setEventHandler {
                        if received.add(1, ordering: .relaxed).newValue == 1 {
                            continuation.resume(returning: sig)
                        } else {
                            _exit(1)
                        }
                    }
                    source.resume()
                    sources.append(source)
                }
            }
        }
    }
}

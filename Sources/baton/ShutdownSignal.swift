import BatonPlatform
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM and SIGINT. `install` takes them over from their default action (which ends the
/// process at once) as the first thing a long-running command does, so a signal that arrives
/// while it starts is kept and answered with a graceful stop once `wait` is reached. A second
/// signal while shutting down exits at once, so an operator is never stuck behind a slow drain.
///
/// The handler only writes the signal's number to a pipe (all a handler may safely do); a
/// thread of its own reads the pipe and does the rest. No libdispatch signal source: importing
/// Dispatch would link its overlay and the string-processing libraries it needs (Package.swift).
enum ShutdownSignal {
    private struct State {
        var installed = false
        var received = 0
        var waiter: CheckedContinuation<Int32, Never>?
        var caught: Int32?
    }

    private static let state = Mutex(State())

    static func install() {
        let first = state.withLock { state -> Bool in
            defer { state.installed = true }
            return !state.installed
        }
        guard first else { return }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            // Without the pipe the signals keep their default action: a stop still stops.
            return
        }
        // Installed before any child is started, so none inherits the pipe.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        shutdownSignalPipe = fds[1]
        let readEnd = fds[0]
        OSThread.detach(name: "baton-signals") {
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n == 1 {
                    deliver(Int32(byte))
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = shutdownSignalHandler
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for sig in [SIGTERM, SIGINT] { sigaction(sig, &action, nil) }
    }

    private static func deliver(_ sig: Int32) {
        let waiting = state.withLock { state -> CheckedContinuation<Int32, Never>? in
            state.received += 1
            guard state.received == 1 else { _exit(1) }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.caught = sig
            return nil
        }
        waiting?.resume(returning: sig)
    }

    /// The first signal, whether it came before this call or after.
    static func wait() async -> Int32 {
        install()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let caught = state.withLock { state -> Int32? in
                if let caught = state.caught { return caught }
                state.waiter = continuation
                return nil
            }
            if let caught { continuation.resume(returning: caught) }
        }
    }
}

/// The pipe's write end, set before the handler is installed and never changed after.
nonisolated(unsafe) private var shutdownSignalPipe: Int32 = -1

/// Async-signal-safe: one `write`, with `errno` kept for the interrupted code.
private let shutdownSignalHandler: @convention(c) (Int32) -> Void = { sig in
    let saved = errno
    var byte = UInt8(truncatingIfNeeded: sig)
    _ = write(shutdownSignalPipe, &byte, 1)
    errno = saved
}

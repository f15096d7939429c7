import CLinux
import Glibc
import Synchronization

/// Baton's HTTP/1.1 server: epoll event loops on dedicated threads, requests handed to an
/// `HTTPResponder` on the loop thread; an answer it cannot give at once is worked out in a task
/// that prefers the loop as its executor.
///
/// ```swift
/// let server = HTTPServer(configuration: config, responder: router, log: { print($0) })
/// let (host, port) = try server.start()
/// ...
/// await server.shutdown()   // on SIGTERM/SIGINT
/// ```
public final class HTTPServer: Sendable {
    private enum Phase {
        case idle
        case running
        case stopping
        case stopped
    }

    private struct State {
        var phase = Phase.idle
        var loops: [EventLoop] = []
        var runningLoops = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let context: ServerContext
    private let state = Mutex(State())

    public init(
        configuration: HTTPServerConfiguration, responder: any HTTPResponder,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        context = ServerContext(configuration: configuration, responder: responder, log: log)
    }

    /// Connections currently open (refused ones excluded).
    public var activeConnections: Int { context.activeConnections.load(ordering: .relaxed) }

    /// Open connections on each event loop, by loop index (empty before `start()` and after
    /// shutdown): how the acceptor spread them, for metrics.
    public var connectionsPerLoop: [Int] {
        state.withLock { $0.loops }.map { $0.openConnections.load(ordering: .relaxed) }
    }

    /// When each loop will next wake by itself to check timeouts, in `Socket.monotonicNow()`
    /// nanoseconds; nil for a loop that sleeps until something happens (no deadline pending).
    func sweepsDue() async -> [UInt64?] {
        var due: [UInt64?] = []
        for loop in state.withLock({ $0.loops }) {
            let next = await withCheckedContinuation { (continuation: CheckedContinuation<UInt64?, Never>) in
                let queued = loop.execute {
                    let value = loop.sweepDue
                    continuation.resume(returning: value == .max ? nil : value)
                }
                if !queued { continuation.resume(returning: nil) }
            }
            due.append(next)
        }
        return due
    }

    /// What the server's own limits refused since it was made, for metrics.
    public var statistics: HTTPServerStatistics {
        HTTPServerStatistics(
            bodyTimeouts: context.bodyTimeouts.load(ordering: .relaxed),
            capacityRefusals: context.capacityRefusals.load(ordering: .relaxed),
            sourceRefusals: context.sourceRefusals.load(ordering: .relaxed))
    }

    /// Connections `source` (a peer IP as `HTTPRequest.remoteAddress` shows it, without the port)
    /// holds against `maxConnectionsPerSource` right now.
    public func connections(from source: String) -> Int { context.connections(from: source) }

    /// Binds, listens and starts the loop threads; returns the bound address (the real port when
    /// the configuration asked for port 0). Throws if already started or if binding fails.
    @discardableResult
    public func start() throws -> (host: String, port: Int) {
        try state.withLock { state in
            guard state.phase == .idle else { throw SocketError("start: the server was already started", code: EINVAL) }
            state.phase = .running
        }
        let configuration = context.configuration
        do {
            Socket.raiseFileLimit()
            // Writes use MSG_NOSIGNAL; this also covers any other write to a closed socket.
            baton_ignore_sigpipe()
            let bound = try Socket.listen(host: configuration.host, port: configuration.port)
            var loops: [EventLoop] = []
            do {
                for index in 0..<max(1, configuration.eventLoopCount) {
                    loops.append(try EventLoop(index: index, context: context))
                }
            } catch {
                Glibc.close(bound.fd)
                throw error
            }
            loops[0].attach(Listener(fd: bound.fd, loop: loops[0], loops: loops))
            state.withLock { state in
                state.loops = loops
                state.runningLoops = loops.count
            }
            for loop in loops {
                loop.start { [weak self] in self?.loopExited() }
            }
            return (bound.host, bound.port)
        } catch {
            state.withLock { $0.phase = .idle }
            throw error
        }
    }

    /// Graceful stop: close the listener and idle connections, let requests in flight finish and
    /// be written (up to `shutdownGracePeriod`), cancel streaming bodies (they end with their last
    /// chunk), close everything, stop the loop threads. Returns once they have stopped; calling it
    /// again (or concurrently) just waits for the same end.
    public func shutdown() async {
        let loops: [EventLoop] = state.withLock { state in
            switch state.phase {
            case .idle:
                state.phase = .stopped
                return []
            case .running:
                state.phase = .stopping
                return state.loops
            case .stopping, .stopped:
                return []
            }
        }
        let deadline = Socket.monotonicNow() + context.configuration.shutdownGracePeriod.nanoseconds
        for loop in loops {
            loop.execute { loop.beginShutdown(deadline: deadline) }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.phase == .stopped { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func loopExited() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.runningLoops -= 1
            guard state.runningLoops == 0 else { return [] }
            state.phase = .stopped
            state.loops = []
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Counters of `HTTPServer`'s own refusals (monotonic since the server was made).
public struct HTTPServerStatistics: Sendable, Hashable {
    /// Requests answered 408 because their body did not arrive in time (`bodyTimeout`, or a read
    /// stalled past `idleTimeout`).
    public var bodyTimeouts: Int
    /// Connections refused because `maxConnections` were open.
    public var capacityRefusals: Int
    /// Connections refused because their address already held `maxConnectionsPerSource`.
    public var sourceRefusals: Int
}

import CLinux
import Glibc

/// The listening socket, owned by loop 0. Accepts in batches and deals connections round-robin to
/// the loops; beyond `maxConnections`, or `maxConnectionsPerSource` from one address, a connection
/// is answered 503 and closed.
final class Listener {
    let fd: Int32
    private unowned let loop: EventLoop
    private let loops: [EventLoop]
    private var nextLoop = 0
    /// Non-zero while accepting is paused after running out of descriptors.
    private var pausedUntil: UInt64 = 0
    private var closed = false

    init(fd: Int32, loop: EventLoop, loops: [EventLoop]) {
        self.fd = fd
        self.loop = loop
        self.loops = loops
    }

    func acceptReady() {
        let context = loop.context
        let maxConnections = context.configuration.maxConnections
        // Bounded so a connection flood cannot starve the connections already open.
        for _ in 0..<128 {
            var address = sockaddr_storage()
            var length = socklen_t(0)
            let client = baton_accept(fd, &address, &length)
            if client < 0 {
                let code = baton_errno()
                switch code {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // The listener is level-triggered: without a pause it would spin on the error.
                    context.log("http: accept: \(SocketError("accept", code: code)); pausing accepts for 100 ms")
                    pausedUntil = loop.now + 100_000_000
                    loop.noteDeadline(pausedUntil)
                    loop.setListenerEnabled(false)
                    return
                default:
                    context.log("http: accept: \(SocketError("accept", code: code))")
                    return
                }
            }
            _ = baton_set_tcp_nodelay(client)
            let peer = Socket.format(address)
            let source = peer?.host ?? ""
            let remote = Socket.describePeer(peer)
            if context.activeConnections.load(ordering: .relaxed) >= maxConnections {
                context.capacityRefusals.add(1, ordering: .relaxed)
                refuse(
                    client, remote: remote,
                    HTTPParseError(
                        .serviceUnavailable, "too_many_connections",
                        "The server has too many open connections; try again later."))
                continue
            }
            guard context.admit(source: source) else {
                context.sourceRefusals.add(1, ordering: .relaxed)
                refuse(
                    client, remote: remote,
                    HTTPParseError(
                        .serviceUnavailable, "too_many_connections",
                        "This address has too many open connections; close some or try again later."))
                continue
            }
            context.activeConnections.add(1, ordering: .relaxed)
            let target = loops[nextLoop]
            nextLoop = (nextLoop + 1) % loops.count
            if target === loop {
                target.register(
                    HTTPConnection(fd: client, loop: target, remoteAddress: remote, source: source, counted: true))
            } else {
                let handedOver = target.execute {
                    target.register(
                        HTTPConnection(fd: client, loop: target, remoteAddress: remote, source: source, counted: true))
                }
                if !handedOver {
                    Glibc.close(client)
                    context.activeConnections.subtract(1, ordering: .relaxed)
                    context.release(source: source)
                }
            }
        }
    }

    /// Answers `error` (a 503) on this loop and closes; with too many refusals already lingering,
    /// closes at once without an answer.
    private func refuse(_ client: Int32, remote: String, _ error: HTTPParseError) {
        let context = loop.context
        guard context.refusing.load(ordering: .relaxed) < ServerContext.maxRefusing else {
            Glibc.close(client)
            return
        }
        context.refusing.add(1, ordering: .relaxed)
        let connection = HTTPConnection(fd: client, loop: loop, remoteAddress: remote, source: "", counted: false)
        loop.register(connection)
        connection.refuse(error)
    }

    func sweep(now: UInt64) {
        if pausedUntil != 0 && now >= pausedUntil && !closed {
            pausedUntil = 0
            loop.setListenerEnabled(true)
        }
        if pausedUntil != 0 { loop.noteDeadline(pausedUntil) }
    }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}

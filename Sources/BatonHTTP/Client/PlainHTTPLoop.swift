import BatonPlatform
import CLinux
import Glibc
import Synchronization

/// The one thread of a `PlainHTTPClient`: every request's connection is a non-blocking socket in
/// one epoll set, so any number of requests in flight (each embedded worker slot's long poll
/// among them) costs one thread, not one each (bench/RESULTS.md, "Soak": a thread per request
/// left 32 parked threads and their caches behind). Answered connections that may be reused wait
/// in a pool, still watched: one the server closes is closed at once, never left in CLOSE-WAIT.
/// Other threads hand it requests and cancellations through a mutex-guarded inbox and an eventfd.
final class PlainHTTPLoop: Sendable {
    typealias Continuation = CheckedContinuation<Result<HTTPClientResponse, HTTPClientError>, Never>

    /// One request as the loop runs it.
    struct Job: Sendable {
        let id: Int
        let target: PlainHTTPClient.Target
        let bytes: [UInt8]
        let timeout: Duration
        let connectTimeout: Duration
        let limit: Int
        let continuation: Continuation
    }

    fileprivate struct Inbox {
        var jobs: [Job] = []
        var cancels: [Int] = []
        var stopping = false
    }

    static let wakeToken = UInt64.max

    private let inbox = Mutex(Inbox())
    private let epollFD: Int32
    private let wakeFD: Int32
    private let ids = Atomic<Int>(0)
    /// Connections waiting in the pool, and open in all (pool and in flight), for tests and gauges.
    let idleCount = Atomic<Int>(0)
    let openCount = Atomic<Int>(0)

    init(maxIdle: Int) {
        epollFD = baton_epoll_create()
        wakeFD = baton_eventfd()
        precondition(epollFD >= 0 && wakeFD >= 0, "plain HTTP client: epoll or eventfd failed: \(errno)")
        var event = baton_epoll_event(BATON_EPOLLIN, Self.wakeToken)
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        OSThread.detach(name: "baton-plain-http") { [self] in
            var state = PlainHTTPLoopState(loop: self, maxIdle: maxIdle)
            state.run()
            Glibc.close(epollFD)
            Glibc.close(wakeFD)
        }
    }

    func nextID() -> Int { ids.add(1, ordering: .relaxed).newValue }

    func submit(_ job: Job) {
        let stopping = inbox.withLock { inbox -> Bool in
            if !inbox.stopping { inbox.jobs.append(job) }
            return inbox.stopping
        }
        if stopping { job.continuation.resume(returning: .failure(.cancelled)) } else { wake() }
    }

    func cancel(_ id: Int) {
        inbox.withLock { $0.cancels.append(id) }
        wake()
    }

    /// Ends the thread: requests in flight fail as cancelled, every connection is closed.
    func stop() {
        inbox.withLock { $0.stopping = true }
        wake()
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    fileprivate func drain() -> Inbox {
        var drained: UInt64 = 0
        _ = Glibc.read(wakeFD, &drained, 8)
        return inbox.withLock { inbox in
            defer {
                inbox.jobs = []
                inbox.cancels = []
            }
            return inbox
        }
    }

    fileprivate var epoll: Int32 { epollFD }
}

/// What the loop's thread alone touches: the requests in flight by socket, and the pool.
private struct PlainHTTPLoopState {
    final class Exchange {
        let job: PlainHTTPLoop.Job
        var fd: Int32 = -1
        var reused = false
        var connecting = false
        var sent = 0
        var parser: PlainHTTPResponseParser
        let deadline: ContinuousClock.Instant
        var connectDeadline: ContinuousClock.Instant

        init(_ job: PlainHTTPLoop.Job, now: ContinuousClock.Instant) {
            self.job = job
            parser = PlainHTTPResponseParser(limit: job.limit)
            deadline = now + job.timeout
            connectDeadline = now + min(job.connectTimeout, job.timeout)
        }
    }

    let loop: PlainHTTPLoop
    let maxIdle: Int
    var inFlight: [Int32: Exchange] = [:]
    var byID: [Int: Int32] = [:]
    /// Kept-alive connections by `host:port`, newest last.
    var idle: [String: [Int32]] = [:]
    var idleKey: [Int32: String] = [:]
    var scratch = [UInt8](repeating: 0, count: 65536)

    init(loop: PlainHTTPLoop, maxIdle: Int) {
        self.loop = loop
        self.maxIdle = maxIdle
    }

    mutating func run() {
        let capacity: Int32 = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        while true {
            let count = epoll_wait(loop.epoll, events, capacity, waitMilliseconds())
            if count < 0 && errno != EINTR { break }
            for i in 0..<max(0, Int(count)) {
                let data = baton_epoll_event_data(events + i)
                if data == PlainHTTPLoop.wakeToken { continue }
                handle(Int32(truncatingIfNeeded: data), baton_epoll_event_events(events + i))
            }
            let inbox = loop.drain()
            if inbox.stopping {
                for job in inbox.jobs { job.continuation.resume(returning: .failure(.cancelled)) }
                break
            }
            for job in inbox.jobs { start(job) }
            for id in inbox.cancels {
                if let fd = byID[id], let exchange = inFlight[fd] { end(exchange, .failure(.cancelled)) }
            }
            expire()
        }
        for exchange in Array(inFlight.values) { end(exchange, .failure(.cancelled)) }
        for fd in Array(idleKey.keys) { dropIdle(fd) }
    }

    /// Until the nearest deadline, in whole milliseconds rounded up; -1 (no timeout) when idle.
    func waitMilliseconds() -> Int32 {
        guard
            let nearest = inFlight.values.map({ $0.connecting ? min($0.connectDeadline, $0.deadline) : $0.deadline })
                .min()
        else { return -1 }
        let (seconds, attoseconds) = (nearest - .now).components
        guard seconds >= 0, seconds < 86_400 else { return seconds < 0 ? 0 : 86_400_000 }
        // Never negative: epoll_wait would wait without end.
        return Int32(max(0, seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
    }

    mutating func expire() {
        let now = ContinuousClock.now
        for exchange in Array(inFlight.values)
        where now >= exchange.deadline || (exchange.connecting && now >= exchange.connectDeadline) {
            end(exchange, .failure(.timedOut))
        }
    }

    mutating func start(_ job: PlainHTTPLoop.Job) {
        let exchange = Exchange(job, now: .now)
        byID[job.id] = -1
        if let fd = idle[job.target.hostHeader]?.popLast() {
            idleKey[fd] = nil
            loop.idleCount.subtract(1, ordering: .relaxed)
            exchange.fd = fd
            exchange.reused = true
            attach(exchange)
            send(exchange)
        } else {
            open(exchange)
        }
    }

    mutating func attach(_ exchange: Exchange) {
        inFlight[exchange.fd] = exchange
        byID[exchange.job.id] = exchange.fd
    }

    /// Starts a non-blocking connect on a fresh socket.
    mutating func open(_ exchange: Exchange) {
        let target = exchange.job.target
        let fd = baton_stream_socket(AF_INET)
        guard fd >= 0 else {
            return fail(exchange, .couldNotConnect("socket: \(String(cString: strerror(errno)))"))
        }
        loop.openCount.add(1, ordering: .relaxed)
        _ = baton_set_tcp_nodelay(fd)
        var address = sockaddr_storage()
        var length = socklen_t(0)
        _ = baton_make_sockaddr(target.host, Int32(target.port), &address, &length)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        exchange.fd = fd
        exchange.reused = false
        exchange.sent = 0
        exchange.parser = PlainHTTPResponseParser(limit: exchange.job.limit)
        attach(exchange)
        if connected == 0 {
            register(fd, BATON_EPOLLIN | BATON_EPOLLRDHUP, add: true)
            send(exchange)
        } else if errno == EINPROGRESS {
            exchange.connecting = true
            register(fd, BATON_EPOLLOUT, add: true)
        } else {
            end(exchange, .failure(.couldNotConnect("\(target.hostHeader): \(String(cString: strerror(errno)))")))
        }
    }

    func register(_ fd: Int32, _ events: UInt32, add: Bool = false) {
        var event = baton_epoll_event(events, UInt64(UInt32(bitPattern: fd)))
        epoll_ctl(loop.epoll, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event)
    }

    mutating func handle(_ fd: Int32, _ events: UInt32) {
        if idleKey[fd] != nil {
            // An idle connection has no answer pending: anything on it is the server closing it.
            return dropIdle(fd)
        }
        guard let exchange = inFlight[fd] else { return }
        if exchange.connecting {
            var error: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
            guard error == 0 else {
                let reason = String(cString: strerror(error))
                return end(exchange, .failure(.couldNotConnect("\(exchange.job.target.hostHeader): \(reason)")))
            }
            exchange.connecting = false
            register(fd, BATON_EPOLLIN | BATON_EPOLLRDHUP)
            return send(exchange)
        }
        if exchange.sent < exchange.job.bytes.count {
            send(exchange)
        } else {
            receive(exchange)
        }
    }

    mutating func send(_ exchange: Exchange) {
        let bytes = exchange.job.bytes
        while exchange.sent < bytes.count {
            let n = bytes.withUnsafeBytes {
                baton_send(exchange.fd, $0.baseAddress! + exchange.sent, bytes.count - exchange.sent)
            }
            if n > 0 {
                exchange.sent += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return register(exchange.fd, BATON_EPOLLOUT | BATON_EPOLLIN | BATON_EPOLLRDHUP)
            }
            return broken(exchange)
        }
        register(exchange.fd, BATON_EPOLLIN | BATON_EPOLLRDHUP)
        // A fast answer may already be waiting; epoll reports it either way (level-triggered).
    }

    mutating func receive(_ exchange: Exchange) {
        var outcome = PlainHTTPResponseParser.Outcome.needMore
        while true {
            let n = scratch.withUnsafeMutableBytes { recv(exchange.fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
            if n <= 0 {
                if exchange.parser.received == 0 { return broken(exchange) }
                outcome = exchange.parser.finish()
                break
            }
            scratch.withUnsafeBytes { exchange.parser.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            outcome = exchange.parser.advance()
            if case .needMore = outcome { continue }
            break
        }
        settle(exchange, outcome)
    }

    /// The connection failed before any answer came: on a reused one the server closed it while
    /// it was idle, so the request was never read and goes once more on a new connection.
    mutating func broken(_ exchange: Exchange) {
        guard exchange.reused, exchange.parser.received == 0 else {
            return end(exchange, .failure(.transport(code: -1, message: "the connection closed before an answer")))
        }
        close(exchange)
        open(exchange)
    }

    mutating func settle(_ exchange: Exchange, _ outcome: PlainHTTPResponseParser.Outcome) {
        switch outcome {
        case .needMore: return
        case .failed(let error): end(exchange, .failure(error))
        case .complete(let response, let keepAlive):
            let key = exchange.job.target.hostHeader
            detach(exchange)
            if keepAlive && idleKey.count < maxIdle {
                idle[key, default: []].append(exchange.fd)
                idleKey[exchange.fd] = key
                loop.idleCount.add(1, ordering: .relaxed)
                register(exchange.fd, BATON_EPOLLIN | BATON_EPOLLRDHUP)
            } else {
                closeSocket(exchange.fd)
            }
            exchange.job.continuation.resume(returning: .success(response))
        }
    }

    mutating func fail(_ exchange: Exchange, _ error: HTTPClientError) {
        byID[exchange.job.id] = nil
        exchange.job.continuation.resume(returning: .failure(error))
    }

    /// Ends an exchange without reusing its connection.
    mutating func end(_ exchange: Exchange, _ result: Result<HTTPClientResponse, HTTPClientError>) {
        close(exchange)
        byID[exchange.job.id] = nil
        exchange.job.continuation.resume(returning: result)
    }

    mutating func detach(_ exchange: Exchange) {
        inFlight[exchange.fd] = nil
        byID[exchange.job.id] = nil
        exchange.connecting = false
    }

    mutating func close(_ exchange: Exchange) {
        guard exchange.fd >= 0 else { return }
        inFlight[exchange.fd] = nil
        exchange.connecting = false
        closeSocket(exchange.fd)
        exchange.fd = -1
    }

    mutating func dropIdle(_ fd: Int32) {
        guard let key = idleKey.removeValue(forKey: fd) else { return }
        idle[key]?.removeAll { $0 == fd }
        if idle[key]?.isEmpty == true { idle[key] = nil }
        loop.idleCount.subtract(1, ordering: .relaxed)
        closeSocket(fd)
    }

    func closeSocket(_ fd: Int32) {
        Glibc.close(fd)
        loop.openCount.subtract(1, ordering: .relaxed)
    }
}

import BatonPlatform
import CLinux
import Glibc
import Synchronization

/// What every loop of one server shares: configuration, responder and the connection count.
final class ServerContext: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let log: @Sendable (String) -> Void
    /// Connections counted against `maxConnections` (refused ones are not).
    let activeConnections = Atomic<Int>(0)
    /// Counted connections per remote address (the peer's IP), against `maxConnectionsPerSource`.
    /// Taken on accept (loop 0) and given back on close (any loop), hence the lock.
    private let perSource = Mutex<[String: Int]>([:])
    /// Refused connections still being answered (each lingers until its peer closes, at most
    /// `HTTPConnection.lingerTime`); past `maxRefusing` a refused connection is closed unanswered.
    let refusing = Atomic<Int>(0)
    let bodyTimeouts = Atomic<Int>(0)
    let capacityRefusals = Atomic<Int>(0)
    let sourceRefusals = Atomic<Int>(0)
    let headerTimeout: UInt64
    let idleTimeout: UInt64
    let bodyTimeout: UInt64

    /// Refusals in progress beyond which a refused connection gets no answer, so a flood of
    /// connections over a cap cannot pile up descriptors waiting for their peers to close.
    static let maxRefusing = 1024

    init(
        configuration: HTTPServerConfiguration, responder: any HTTPResponder, log: @escaping @Sendable (String) -> Void
    ) {
        self.configuration = configuration
        self.responder = responder
        self.log = log
        headerTimeout = configuration.headerTimeout.nanoseconds
        idleTimeout = configuration.idleTimeout.nanoseconds
        bodyTimeout = configuration.bodyTimeout.nanoseconds
    }

    /// Takes one of `source`'s connections; false when it already holds `maxConnectionsPerSource`.
    func admit(source: String) -> Bool {
        let cap = configuration.maxConnectionsPerSource
        return perSource.withLock { counts in
            let open = counts[source, default: 0]
            guard open < cap else { return false }
            counts[source] = open + 1
            return true
        }
    }

    /// Gives back a connection `admit` took.
    func release(source: String) {
        perSource.withLock { counts in
            guard let open = counts[source] else { return }
            if open <= 1 { counts[source] = nil } else { counts[source] = open - 1 }
        }
    }

    /// Connections `source` holds now (for tests).
    func connections(from source: String) -> Int {
        perSource.withLock { $0[source, default: 0] }
    }
}

/// One epoll loop on its own thread. It owns its connections (all their state is touched only on
/// this thread) and is also a `TaskExecutor`: request tasks start with it as their preference, so a
/// handler that does not suspend runs start to finish on this thread, with no hop to the cooperative
/// pool and back. Other threads hand it work through a mutex-guarded inbox and an eventfd wake-up.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    private enum Work: Sendable {
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }

    private struct Inbox: Sendable {
        var items: [Work] = []
        var stopped = false
    }

    // Shared with other threads.
    private let inbox = Mutex(Inbox())
    private let threadID = Atomic<UInt>(0)
    let context: ServerContext
    let index: Int
    /// Counted connections this loop holds; written on the loop thread, read by anyone (metrics).
    let openConnections = Atomic<Int>(0)
    private let epollFD: Int32
    private let wakeFD: Int32

    // Confined to the loop thread.
    private(set) var now: UInt64 = 0
    private var slots: [HTTPConnection?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [Int] = []
    private var liveConnections = 0
    private var flushList: [HTTPConnection] = []
    private var spareWork: [Work] = []
    /// One read buffer for all connections of this loop: data is parsed straight out of it, and
    /// only the bytes of a not-yet-processed pipelined request are copied aside.
    let readBuffer: UnsafeMutableRawBufferPointer
    private(set) var date = HTTPDateCache()
    private var listener: Listener?
    private(set) var shuttingDown = false
    private var graceDeadline: UInt64 = 0
    /// When the next timeout sweep is due: the earliest deadline of any connection (or of the
    /// listener's pause, or of the shutdown grace period), never sooner than `sweepInterval`
    /// after the last sweep; `UInt64.max` when nothing has one, and then the loop sleeps until
    /// something happens, so an idle loop does not wake at all.
    private var nextSweep = UInt64.max
    private var exited = false
    private var onExit: (@Sendable () -> Void)?

    static let wakeToken = UInt64.max
    static let listenerToken = UInt64.max - 1
    /// Timeouts are checked by a sweep over all connections (cheaper than timers), due at the
    /// earliest deadline but at most this often.
    static let sweepInterval: UInt64 = 250_000_000

    init(index: Int, context: ServerContext) throws {
        self.index = index
        self.context = context
        epollFD = baton_epoll_create()
        guard epollFD >= 0 else { throw SocketError("epoll_create1") }
        wakeFD = baton_eventfd()
        guard wakeFD >= 0 else {
            let error = SocketError("eventfd")
            Glibc.close(epollFD)
            throw error
        }
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        var event = baton_epoll_event(BATON_EPOLLIN, EventLoop.wakeToken)
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Starts the loop thread; `onExit` runs on it once the loop has stopped.
    func start(onExit: @escaping @Sendable () -> Void) {
        self.onExit = onExit
        OSThread.detach(name: "baton-http-\(index)") { [self] in run() }
    }

    // MARK: Cross-thread entry points

    var isOnLoopThread: Bool {
        pthread_equal(pthread_self(), pthread_t(threadID.load(ordering: .relaxed))) != 0
    }

    func enqueue(_ job: consuming ExecutorJob) {
        push(.job(UnownedJob(job)))
    }

    /// Runs `body` on the loop thread: at once when already there, else soon. Returns false when
    /// the loop has stopped (the body is then dropped).
    @discardableResult
    func execute(_ body: @escaping @Sendable () -> Void) -> Bool {
        if isOnLoopThread {
            if exited { return false }
            body()
            return true
        }
        return push(.closure(body))
    }

    /// Like `execute`, but always queued, never run inline.
    @discardableResult
    func enqueue(_ body: @escaping @Sendable () -> Void) -> Bool {
        push(.closure(body))
    }

    @discardableResult
    private func push(_ work: Work) -> Bool {
        let (accepted, wake) = inbox.withLock { inbox -> (Bool, Bool) in
            if inbox.stopped { return (false, false) }
            inbox.items.append(work)
            return (true, inbox.items.count == 1)
        }
        // Only the empty-to-non-empty transition needs a wake-up: the loop drains everything it finds.
        if wake && !isOnLoopThread {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
        if !accepted, case .job(let job) = work {
            // A task still running after its loop stopped (a handler outliving the grace period)
            // must still be able to finish; it no longer touches any connection.
            let executor = asUnownedTaskExecutor()
            OSThread.detach(name: "baton-late-task") { job.runSynchronously(on: executor) }
        }
        return accepted
    }

    // MARK: Loop thread

    func attach(_ listener: Listener) {
        self.listener = listener
        var event = baton_epoll_event(BATON_EPOLLIN, EventLoop.listenerToken)
        epoll_ctl(epollFD, EPOLL_CTL_ADD, listener.fd, &event)
    }

    func setListenerEnabled(_ enabled: Bool) {
        guard let listener else { return }
        var event = baton_epoll_event(enabled ? BATON_EPOLLIN : 0, EventLoop.listenerToken)
        epoll_ctl(epollFD, EPOLL_CTL_MOD, listener.fd, &event)
    }

    /// Adopts an accepted socket. Edge-triggered: each connection keeps `readable` flags itself, so
    /// no epoll_ctl call is ever needed after this one.
    func register(_ connection: HTTPConnection) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = slots.count
            slots.append(nil)
            generations.append(0)
        }
        // The generation in the event data keeps a stale event for a closed descriptor (reused by
        // a new connection in the same batch) from reaching the new connection.
        generations[slot] = (generations[slot] &+ 1) & 0x7FFF_FFFF
        slots[slot] = connection
        connection.slot = slot
        liveConnections += 1
        if connection.counted { openConnections.add(1, ordering: .relaxed) }
        let token = UInt64(generations[slot]) << 32 | UInt64(slot)
        var event = baton_epoll_event(
            BATON_EPOLLIN | BATON_EPOLLOUT | BATON_EPOLLRDHUP | BATON_EPOLLET, token)
        if epoll_ctl(epollFD, EPOLL_CTL_ADD, connection.fd, &event) != 0 {
            context.log("http: epoll_ctl failed for a new connection: \(SocketError("epoll_ctl"))")
            connection.close()
            return
        }
        connection.opened()
    }

    func remove(_ connection: HTTPConnection) {
        guard connection.slot >= 0, slots[connection.slot] === connection else { return }
        slots[connection.slot] = nil
        freeSlots.append(connection.slot)
        connection.slot = -1
        liveConnections -= 1
        if connection.counted {
            openConnections.subtract(1, ordering: .relaxed)
            context.activeConnections.subtract(1, ordering: .relaxed)
            context.release(source: connection.source)
        } else {
            context.refusing.subtract(1, ordering: .relaxed)
        }
    }

    /// When the loop's next sweep is due (`UInt64.max`: none, it sleeps until an event); read on
    /// the loop thread, for tests.
    var sweepDue: UInt64 { nextSweep }

    /// Something on this loop must happen by `deadline`: the next sweep comes no later.
    func noteDeadline(_ deadline: UInt64) {
        if deadline < nextSweep { nextSweep = deadline }
    }

    func scheduleFlush(_ connection: HTTPConnection) {
        flushList.append(connection)
    }

    private func run() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        let maxEvents: Int32 = 512
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(maxEvents))
        defer { events.deallocate() }
        now = Socket.monotonicNow()
        date.update()

        while true {
            let hasWork = inbox.withLock { !$0.items.isEmpty }
            var timeout: Int32 = 0
            if !hasWork && nextSweep > now {
                timeout = nextSweep == .max ? -1 : Int32(clamping: (nextSweep - now) / 1_000_000 + 1)
            }
            let count = epoll_wait(epollFD, events, maxEvents, timeout)
            now = Socket.monotonicNow()
            if count > 0 {
                // Whatever these events answer carries this second's Date (one time() per batch).
                date.update()
                for i in 0..<Int(count) { handle(events + i) }
            }
            runWork()
            flushAll()
            if now >= nextSweep { sweep() }
            if shuttingDown {
                if liveConnections == 0 { break }
                if now >= graceDeadline {
                    context.log("http: shutdown grace period over, closing \(liveConnections) connection(s)")
                    forEachConnection { $0.close() }
                    break
                }
            }
        }
        finish()
    }

    private func handle(_ event: UnsafeMutablePointer<epoll_event>) {
        let data = baton_epoll_event_data(event)
        if data == EventLoop.wakeToken {
            var value: UInt64 = 0
            _ = Glibc.read(wakeFD, &value, 8)
            return
        }
        if data == EventLoop.listenerToken {
            listener?.acceptReady()
            return
        }
        let slot = Int(data & 0xFFFF_FFFF)
        guard slot < slots.count, UInt64(generations[slot]) == data >> 32, let connection = slots[slot] else {
            return
        }
        connection.handleEvents(baton_epoll_event_events(event))
    }

    private func runWork() {
        var batch = spareWork
        inbox.withLock { swap(&$0.items, &batch) }
        // Only this batch: work enqueued while it runs waits for the next turn, after I/O.
        for work in batch {
            switch work {
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            case .closure(let body): body()
            }
        }
        batch.removeAll(keepingCapacity: true)
        spareWork = batch
    }

    /// Writes every response produced this turn, so pipelined responses leave in one send.
    /// A connection that resumes reading may answer more at once and queue itself again; the
    /// pass repeats until none does.
    private func flushAll() {
        while !flushList.isEmpty {
            var list: [HTTPConnection] = []
            swap(&list, &flushList)
            for connection in list {
                connection.queuedForFlush = false
                connection.flushQueued()
            }
            list.removeAll(keepingCapacity: true)
            if flushList.isEmpty { flushList = list }
        }
    }

    private func sweep() {
        nextSweep = .max
        date.update()
        // Connections handling a passed deadline may set new ones (a linger after a 408): they
        // note them, and the rest are gathered here.
        forEachConnection { connection in
            if connection.deadline != 0 && now >= connection.deadline { connection.deadlinePassed() }
            if connection.deadline != 0 { noteDeadline(connection.deadline) }
        }
        listener?.sweep(now: now)
        if shuttingDown { noteDeadline(graceDeadline) }
        if nextSweep != .max { nextSweep = max(nextSweep, now + EventLoop.sweepInterval) }
    }

    private func forEachConnection(_ body: (HTTPConnection) -> Void) {
        for slot in slots.indices {
            if let connection = slots[slot] { body(connection) }
        }
    }

    /// Stop accepting, close idle connections, let in-flight ones finish until `deadline`.
    func beginShutdown(deadline: UInt64) {
        guard !shuttingDown else { return }
        shuttingDown = true
        graceDeadline = deadline
        noteDeadline(deadline)
        listener?.close()
        listener = nil
        forEachConnection { $0.serverShuttingDown() }
    }

    private func finish() {
        exited = true
        var leftovers: [Work] = []
        inbox.withLock { inbox in
            inbox.stopped = true
            swap(&inbox.items, &leftovers)
        }
        // Resume whatever was queued (tasks, stream writers waiting for an answer): connections
        // are closed, so they see that and end.
        for work in leftovers {
            switch work {
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            case .closure(let body): body()
            }
        }
        slots = []
        flushList = []
        Glibc.close(epollFD)
        Glibc.close(wakeFD)
        let exit = onExit
        onExit = nil
        exit?()
    }
}

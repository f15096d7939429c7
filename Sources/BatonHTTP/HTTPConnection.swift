import CLinux
import Glibc

/// One client connection: reads and parses requests, runs one at a time through the responder,
/// writes responses, and enforces the limits and timeouts. Every method runs on the owning loop's
/// thread (tasks reach it through `loop.execute`), which is what makes `@unchecked Sendable` safe.
final class HTTPConnection: @unchecked Sendable {
    enum State {
        /// Reading (or waiting for) the next request.
        case reading
        /// A request is with the responder; further bytes wait unread.
        case responding
        /// Sending a `.stream` body.
        case streaming
        /// Last bytes going out; then the write side is shut and input discarded until the peer closes.
        case closing
        case closed
    }

    private enum DeadlineKind {
        case none
        case header
        case idle
        case body
        case linger
    }

    let fd: Int32
    /// Strong: an unowned reference pays an atomic check on every use, and this one is used on
    /// every request. The cycle (the loop's slots hold the connection) ends when `close` removes
    /// it, and every connection is closed before its loop exits.
    let loop: EventLoop
    let remoteAddress: String
    /// The peer's IP: what `maxConnectionsPerSource` counts ("" for a refused connection).
    let source: String
    /// Counted against `maxConnections` and its source's cap (refused connections are not).
    let counted: Bool
    var slot = -1
    var queuedForFlush = false
    private(set) var deadline: UInt64 = 0

    private(set) var state = State.reading
    private var deadlineKind = DeadlineKind.none
    /// When the body of the request being read must be in (`bodyTimeout` after its head); 0
    /// outside a body.
    private var bodyDeadline: UInt64 = 0
    private var parser: HTTPRequestParser
    /// Bytes read but not yet parsed (the next pipelined request); at most one read's worth.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    /// Edge-triggered epoll: true until a read comes back short or with EAGAIN.
    private var readable = true
    /// EPOLLRDHUP seen: the peer sent FIN. A short read then does not mean "drained" (the end of
    /// input is still to be read, and no new edge will announce it).
    private var inputEnded = false
    private var out: [UInt8] = []
    private var outStart = 0
    private var task: Task<Void, Never>?
    private var writeWaiters: [CheckedContinuation<Void, any Error>] = []
    private var keepAlive = true
    private var requestIsHTTP11 = true
    private var requestIsHead = false
    private var chunkedStream = false
    private var shutdownSent = false
    private var discarded = 0
    /// `pump` stopped taking requests because output backed up; the loop's flush resumes it.
    private var heldBack = false

    /// Beyond this much unsent output the connection stops taking new requests and stream
    /// writers suspend (backpressure).
    static let maxUnsent = 64 * 1024
    /// How long a closing connection waits for the peer to close after the last response.
    static let lingerTime: UInt64 = 2_000_000_000
    static let maxDiscard = 1 << 20

    init(fd: Int32, loop: EventLoop, remoteAddress: String, source: String, counted: Bool) {
        self.fd = fd
        self.loop = loop
        self.remoteAddress = remoteAddress
        self.source = source
        self.counted = counted
        let configuration = loop.context.configuration
        parser = HTTPRequestParser(
            maxHeaderBytes: configuration.maxHeaderBytes, maxBodyBytes: configuration.maxBodyBytes)
    }

    private var unsent: Int { out.count - outStart }

    private func setDeadline(_ kind: DeadlineKind, after interval: UInt64) {
        deadlineKind = kind
        deadline = kind == .none ? 0 : loop.now &+ interval
        if deadline != 0 { loop.noteDeadline(deadline) }
    }

    /// A body is arriving: the next read must come within the idle timeout, and the whole body
    /// by its absolute deadline, whichever is sooner.
    private func setBodyDeadline() {
        deadlineKind = .body
        deadline = min(loop.now &+ loop.context.idleTimeout, bodyDeadline)
        loop.noteDeadline(deadline)
    }

    /// Just registered: the client must send its first header block within the header timeout.
    func opened() {
        setDeadline(.header, after: loop.context.headerTimeout)
        if loop.shuttingDown { close() }
    }

    // MARK: Events

    func handleEvents(_ events: UInt32) {
        if events & (BATON_EPOLLERR | BATON_EPOLLHUP) != 0 {
            close()
            return
        }
        if events & BATON_EPOLLOUT != 0 && unsent > 0 {
            flush()
        }
        if events & BATON_EPOLLIN != 0 { readable = true }
        let peerClosed = events & BATON_EPOLLRDHUP != 0
        if peerClosed { inputEnded = true }
        switch state {
        case .reading:
            // A read will see the end of input if the peer closed.
            pump()
        case .responding:
            if peerClosed {
                // The client is gone (or half-closed): cancel the handler (long polls end early);
                // its answer, if any, goes out and the connection closes.
                task?.cancel()
                keepAlive = false
            }
        case .streaming:
            if peerClosed { close() }
        case .closing:
            if readable || peerClosed { discardInput() }
        case .closed:
            break
        }
    }

    /// Feeds buffered and then freshly read bytes to the parser while a request can be taken.
    private func pump() {
        heldBack = false
        while state == .reading {
            // Do not take more requests while responses are not getting out.
            if unsent > HTTPConnection.maxUnsent {
                heldBack = true
                return
            }
            if pendingStart < pending.count {
                let start = pendingStart
                let consumed = pending.withUnsafeBytes { feed(UnsafeRawBufferPointer(rebasing: $0[start...])) }
                pendingStart += consumed
                if pendingStart >= pending.count {
                    pending.removeAll(keepingCapacity: pending.capacity <= 65536)
                    pendingStart = 0
                }
                continue
            }
            guard readable else { return }
            let buffer = loop.readBuffer
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 {
                // A short read means the socket is drained; the next arrival raises a new edge.
                if n < buffer.count && !inputEnded { readable = false }
                let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: n)
                let consumed = feed(bytes)
                // The rest waits for the answer (a stream answered at once is already streaming).
                if consumed < n && (state == .responding || state == .streaming || state == .reading) {
                    pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
                }
            } else if n == 0 {
                // End of input, between requests or in the middle of one: either way, done, once
                // any answer still queued (to a client that half-closed) has gone out.
                keepAlive = false
                if unsent > 0 { beginClose() } else { close() }
                return
            } else {
                let code = baton_errno()
                if code == EAGAIN || code == EWOULDBLOCK {
                    readable = false
                    return
                }
                if code == EINTR { continue }
                close()
                return
            }
        }
    }

    /// Parses `bytes` until a request is complete (and dispatched) or refused; returns bytes used.
    private func feed(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while state == .reading {
            let wasIdle = parser.isIdle
            let (consumed, event) = parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            offset += consumed
            // The header clock starts at a request's first byte (or at connect, already running).
            if wasIdle && !parser.isIdle && deadlineKind != .header {
                setDeadline(.header, after: loop.context.headerTimeout)
            }
            switch event {
            case .needMoreData:
                if !parser.isIdle && !parser.isReadingHead {
                    // A body in progress: stalls are bounded by the idle timeout, the whole body by
                    // the body timeout (a byte now and then does not keep it open).
                    setBodyDeadline()
                }
                return offset
            case .headComplete:
                let head = parser.head!
                bodyDeadline = loop.now &+ loop.context.bodyTimeout
                setBodyDeadline()
                // RFC 9110 §10.1.1: the client waits for this before sending the body; skip it when
                // the body is already arriving.
                if head.expectsContinue && head.hasBody && head.version.minor >= 1 && offset == bytes.count {
                    out.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
                    flush()
                }
            case .messageComplete:
                dispatch()
                // Answered at once: parse on (a pipelined request may follow) unless the
                // output is backing up, which `pump` checks before it feeds the rest.
                if state != .reading || unsent > HTTPConnection.maxUnsent { return offset }
            case .failed(let error):
                refuse(error)
                return offset
            }
        }
        return offset
    }

    // MARK: Responding

    private func dispatch() {
        let (head, body) = parser.takeMessage()
        state = .responding
        setDeadline(.none, after: 0)
        keepAlive = head.keepAlive && !loop.shuttingDown
        requestIsHTTP11 = head.version.minor >= 1
        requestIsHead = head.method == .head
        let request = HTTPRequest(
            method: head.method, target: head.target, path: head.path, query: head.query,
            version: head.version, headers: head.headers, body: body, remoteAddress: remoteAddress)
        switch loop.context.responder.respondImmediately(to: request) {
        case .ready(let response):
            // Answered on the loop without a task (SPEC §2.1). The caller (`feed`) goes on with any
            // bytes already read, so reading does not resume from here.
            if let produce = Self.streamProducer(response, isHead: requestIsHead) {
                task = Task(executorPreference: loop) { [self] in await stream(produce) }
                beginStream(response)
            } else {
                finishResponse(response, resumeReading: false)
            }
        case .pending(let work):
            let loop = self.loop
            let isHead = requestIsHead
            task = Task(executorPreference: loop) { [self] in
                let response = await work()
                guard let produce = Self.streamProducer(response, isHead: isHead) else {
                    loop.execute { self.finishResponse(response) }
                    return
                }
                // Both calls go through the loop in order, so the head precedes the first chunk.
                guard loop.execute({ self.beginStream(response) }) else { return }
                await stream(produce)
            }
        }
    }

    /// The body producer of a response sent as a stream: not for HEAD, nor for a status without a body.
    private static func streamProducer(
        _ response: HTTPResponse, isHead: Bool
    ) -> (@Sendable (any ResponseBodyWriter) async throws -> Void)? {
        guard case .stream(let produce) = response.body, !isHead,
            !ResponseEncoder.statusHasNoBody(response.status.code)
        else { return nil }
        return produce
    }

    /// Runs a stream's producer (in the connection's task), then ends the stream on the loop.
    private func stream(_ produce: @Sendable (any ResponseBodyWriter) async throws -> Void) async {
        let writer = StreamWriter(connection: self)
        var failed = false
        do {
            try await produce(writer)
        } catch is CancellationError {
        } catch is ResponseBodyWriterError {
        } catch {
            // A stream that fails midway must not look complete: close without the last chunk.
            failed = !Task.isCancelled
        }
        let outcome = failed
        loop.execute { self.endStream(failed: outcome) }
    }

    /// Queues `response`; `resumeReading` false when the caller is the parser, which reads on itself.
    private func finishResponse(_ response: HTTPResponse, resumeReading: Bool = true) {
        guard state == .responding else { return }
        task = nil
        let code = response.status.code
        let noBody = ResponseEncoder.statusHasNoBody(code)
        if loop.shuttingDown || ResponseEncoder.asksToClose(response.headers) { keepAlive = false }
        var framing = ResponseEncoder.Framing.none
        var body: [UInt8] = []
        switch response.body {
        case .empty:
            if !noBody { framing = .length(0) }
        case .bytes(let bytes):
            if !noBody {
                framing = .length(bytes.count)
                if !requestIsHead { body = bytes }
            }
        case .stream:
            // Only HEAD (or a bodiless status) gets here: announce the framing a GET would get.
            if !noBody { framing = requestIsHTTP11 ? .chunked : .untilClose }
        }
        ResponseEncoder.writeHead(
            into: &out, status: response.status, headers: response.headers, framing: framing,
            connection: connectionField, date: loop.date.line)
        out.append(contentsOf: body)
        if !queuedForFlush {
            queuedForFlush = true
            loop.scheduleFlush(self)
        }
        responseDone(resumeReading: resumeReading)
    }

    private var connectionField: ResponseEncoder.ConnectionField {
        if !keepAlive { return .close }
        return requestIsHTTP11 ? .none : .keepAlive
    }

    private func beginStream(_ response: HTTPResponse) {
        guard state == .responding else { return }
        state = .streaming
        if loop.shuttingDown || ResponseEncoder.asksToClose(response.headers) { keepAlive = false }
        // HTTP/1.0 has no chunked coding: the body ends when the connection closes.
        chunkedStream = requestIsHTTP11
        if !chunkedStream { keepAlive = false }
        ResponseEncoder.writeHead(
            into: &out, status: response.status, headers: response.headers,
            framing: chunkedStream ? .chunked : .untilClose, connection: connectionField, date: loop.date.line)
        flush()
        // Shutdown began while the handler ran: the stream should end at once.
        if loop.shuttingDown { task?.cancel() }
    }

    /// A stream writer's bytes; `continuation` resumes once the unsent backlog is small enough.
    func streamWrite(_ bytes: [UInt8], _ continuation: CheckedContinuation<Void, any Error>) {
        guard state == .streaming else {
            continuation.resume(throwing: ResponseBodyWriterError.closed)
            return
        }
        if chunkedStream {
            ResponseEncoder.writeChunk(bytes, into: &out)
        } else {
            out.append(contentsOf: bytes)
        }
        flush()
        if state == .closed {
            continuation.resume(throwing: ResponseBodyWriterError.closed)
        } else if unsent <= HTTPConnection.maxUnsent {
            continuation.resume()
        } else {
            writeWaiters.append(continuation)
        }
    }

    /// The stream's task was cancelled: writers waiting for the backlog to drain give up now.
    func releaseWriters() {
        let waiters = writeWaiters
        writeWaiters = []
        for waiter in waiters { waiter.resume(throwing: ResponseBodyWriterError.closed) }
    }

    private func endStream(failed: Bool) {
        guard state == .streaming else { return }
        task = nil
        if failed {
            close()
            return
        }
        if chunkedStream { ResponseEncoder.writeLastChunk(into: &out) }
        flush()
        guard state == .streaming else { return }
        responseDone()
    }

    /// The response is queued: close, or wait for the next request (maybe already buffered).
    private func responseDone(resumeReading: Bool = true) {
        if !keepAlive {
            beginClose()
            return
        }
        state = .reading
        setDeadline(.idle, after: loop.context.idleTimeout)
        if resumeReading { pump() }
    }

    /// Answers a request the server itself refuses (parse error, limit, too many connections)
    /// and closes.
    func refuse(_ error: HTTPParseError) {
        guard state == .reading else { return }
        keepAlive = false
        let response = ResponseEncoder.errorResponse(status: error.status, code: error.code, message: error.message)
        if case .bytes(let body) = response.body {
            ResponseEncoder.writeHead(
                into: &out, status: response.status, headers: response.headers, framing: .length(body.count),
                connection: .close, date: loop.date.line)
            out.append(contentsOf: body)
        }
        beginClose()
    }

    // MARK: Writing and closing

    /// The loop's flush at the end of its turn. Answers given at once can back output up within
    /// one read (pipelining); once it has gone out, reading resumes here, as no EPOLLOUT edge
    /// need come.
    func flushQueued() {
        flush()
        if heldBack && state == .reading && unsent <= HTTPConnection.maxUnsent { pump() }
    }

    /// Sends as much output as the socket takes now; the rest waits for EPOLLOUT.
    func flush() {
        while outStart < out.count {
            let start = outStart
            let n = out.withUnsafeBytes { baton_send(fd, $0.baseAddress! + start, $0.count - start) }
            if n > 0 {
                outStart += n
            } else {
                let code = baton_errno()
                if code == EAGAIN || code == EWOULDBLOCK { break }
                if code == EINTR { continue }
                // EPIPE, ECONNRESET: the peer is gone.
                close()
                return
            }
        }
        if outStart == out.count && outStart > 0 {
            // A big body leaves a big buffer behind; do not keep it per idle connection.
            if out.capacity > 256 * 1024 { out = [] } else { out.removeAll(keepingCapacity: true) }
            outStart = 0
        }
        if !writeWaiters.isEmpty && unsent <= HTTPConnection.maxUnsent / 2 {
            let waiters = writeWaiters
            writeWaiters = []
            for waiter in waiters { waiter.resume() }
        }
        if state == .closing && unsent == 0 && !shutdownSent {
            // Half-close, then read until the peer closes: closing with unread input would send
            // a reset that can destroy the response before the client reads it.
            shutdownSent = true
            Glibc.shutdown(fd, Int32(SHUT_WR))
            discardInput()
        }
    }

    private func beginClose() {
        guard state != .closing && state != .closed else { return }
        state = .closing
        setDeadline(.linger, after: HTTPConnection.lingerTime)
        flush()
    }

    private func discardInput() {
        let buffer = loop.readBuffer
        while state == .closing {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 {
                discarded += n
                if discarded > HTTPConnection.maxDiscard { close() }
            } else if n == 0 {
                if shutdownSent || unsent == 0 { close() }
                return
            } else {
                let code = baton_errno()
                if code == EINTR { continue }
                if code != EAGAIN && code != EWOULDBLOCK {
                    close()
                } else if shutdownSent && loop.shuttingDown {
                    // Shutting down: everything is sent and no input is pending, so closing now
                    // cannot reset the connection under the client's feet; do not wait for its FIN.
                    close()
                }
                return
            }
        }
    }

    func close() {
        guard state != .closed else { return }
        state = .closed
        deadline = 0
        task?.cancel()
        task = nil
        let waiters = writeWaiters
        writeWaiters = []
        for waiter in waiters { waiter.resume(throwing: ResponseBodyWriterError.closed) }
        Glibc.close(fd)
        loop.remove(self)
    }

    // MARK: Timeouts and shutdown

    func deadlinePassed() {
        switch deadlineKind {
        case .header, .body:
            guard state == .reading else { return }
            if parser.isIdle && unsent == 0 {
                close()
            } else {
                if deadlineKind == .body { loop.context.bodyTimeouts.add(1, ordering: .relaxed) }
                refuse(HTTPParseError(.requestTimeout, "request_timeout", "The request was not received in time."))
            }
        case .idle, .linger:
            close()
        case .none:
            break
        }
    }

    func serverShuttingDown() {
        switch state {
        case .reading:
            // Nothing dispatched: close now (after any response still going out).
            keepAlive = false
            if unsent > 0 { beginClose() } else { close() }
        case .responding:
            keepAlive = false
        case .streaming:
            keepAlive = false
            task?.cancel()
        case .closing, .closed:
            break
        }
    }
}

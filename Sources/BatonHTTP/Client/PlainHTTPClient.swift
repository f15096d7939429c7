import BatonPlatform
import Glibc
import Synchronization

/// Plain HTTP/1.1 over TCP, without libcurl, for a server Baton itself runs (the embedded workers
/// talk to their own coordinator over loopback): loading libcurl and its TLS stack only for that
/// cost several MiB of memory. Each request runs on a thread of its own with a blocking socket,
/// taken from a small pool of kept-alive connections; cancelling the task shuts its socket down.
/// It reads what Baton's server sends: a status line, headers, and a Content-Length or chunked body.
public final class PlainHTTPClient: HTTPTransport {
    private let idle = Mutex<[Int32]>([])
    private let maxIdle: Int

    public init(maxIdleConnections: Int = 8) { maxIdle = maxIdleConnections }

    deinit { for fd in idle.withLock({ $0 }) { close(fd) } }

    public func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let target = try Self.target(request.url)
        let socket = Mutex<Int32>(-1)
        let result: Result<HTTPClientResponse, HTTPClientError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                OSThread.detach(name: "baton-plain-http") {
                    continuation.resume(returning: self.perform(request, target: target, socket: socket))
                }
            }
        } onCancel: {
            socket.withLock { fd in
                if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
                fd = -2  // cancelled: a connection not yet opened is never used
            }
        }
        if Task.isCancelled, case .failure = result { throw .cancelled }
        return try result.get()
    }

    struct Target {
        var host: String
        var port: UInt16
        var pathAndQuery: String
        var hostHeader: String
    }

    /// `http://host:port/path?query` with a numeric IPv4 host (what the embedded workers use).
    static func target(_ url: String) throws(HTTPClientError) -> Target {
        guard url.hasPrefix("http://") else { throw .invalidURL(url) }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var path = String(rest.dropFirst(authority.count))
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let host = parts.first, !host.isEmpty else { throw .invalidURL(url) }
        let port = parts.count == 2 ? UInt16(parts[1]) : 80
        guard let port, port > 0 else { throw .invalidURL(url) }
        var address = in_addr()
        guard inet_pton(AF_INET, String(host), &address) == 1 else { throw .invalidURL(url) }
        return Target(host: String(host), port: port, pathAndQuery: path, hostHeader: String(authority))
    }

    private func perform(_ request: HTTPClientRequest, target: Target, socket: borrowing Mutex<Int32>)
        -> Result<HTTPClientResponse, HTTPClientError>
    {
        pruneClosed()
        // A pooled connection the server has closed fails before any answer: try once more on a new one.
        for attempt in 0..<2 {
            let reused = attempt == 0 ? idle.withLock { $0.popLast() } : nil
            let fd: Int32
            if let reused {
                fd = reused
            } else {
                switch Self.connect(target, timeout: request.connectTimeout) {
                case .success(let opened): fd = opened
                case .failure(let error): return .failure(error)
                }
            }
            let cancelled = socket.withLock { current -> Bool in
                if current == -2 { return true }
                current = fd
                return false
            }
            if cancelled {
                close(fd)
                return .failure(.cancelled)
            }
            Self.setTimeout(fd, request.timeout)
            let outcome = Self.exchange(fd, request, target)
            socket.withLock { $0 = $0 == -2 ? -2 : -1 }
            switch outcome {
            case .success(let (response, keepAlive)):
                if keepAlive && socket.withLock({ $0 }) != -2 {
                    let kept = idle.withLock { pool -> Bool in
                        guard pool.count < maxIdle else { return false }
                        pool.append(fd)
                        return true
                    }
                    if !kept { close(fd) }
                } else {
                    close(fd)
                }
                return .success(response)
            case .failure(let failure):
                close(fd)
                if socket.withLock({ $0 }) == -2 { return .failure(.cancelled) }
                if reused != nil, case .staleConnection = failure { continue }
                return .failure(failure.error)
            }
        }
        return .failure(.transport(code: -1, message: "the connection closed before an answer"))
    }

    /// Closes the pooled connections the server has closed while they were idle (readable with
    /// nothing to read, or hung up): otherwise each would sit in CLOSE-WAIT until reused.
    func pruneClosed() {
        let closed = idle.withLock { pool -> [Int32] in
            var fds = pool.map { pollfd(fd: $0, events: Int16(POLLIN) | 0x2000 /* POLLRDHUP */, revents: 0) }
            guard !fds.isEmpty, poll(&fds, nfds_t(fds.count), 0) > 0 else { return [] }
            // An idle connection has no answer pending: anything readable is the end of it.
            let gone = Set(fds.filter { $0.revents != 0 }.map(\.fd))
            pool.removeAll { gone.contains($0) }
            return Array(gone)
        }
        for fd in closed { close(fd) }
    }

    /// How many connections wait in the pool (for tests).
    var idleCount: Int { idle.withLock { $0.count } }

    enum Failure: Error {
        /// Nothing came back: on a reused connection, the server closed it while idle.
        case staleConnection
        case failed(HTTPClientError)

        var error: HTTPClientError {
            switch self {
            case .staleConnection: .transport(code: -1, message: "the connection closed before an answer")
            case .failed(let error): error
            }
        }
    }

    static func connect(_ target: Target, timeout: Duration) -> Result<Int32, HTTPClientError> {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.couldNotConnect("socket: \(String(cString: strerror(errno)))")) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setTimeout(fd, timeout)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = target.port.bigEndian
        inet_pton(AF_INET, target.host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            return .failure(.couldNotConnect("\(target.hostHeader): \(reason)"))
        }
        return .success(fd)
    }

    static func setTimeout(_ fd: Int32, _ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        if value.tv_sec == 0 && value.tv_usec == 0 { value.tv_usec = 1000 }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes the request and reads the whole response; says whether the connection may be reused.
    static func exchange(_ fd: Int32, _ request: HTTPClientRequest, _ target: Target)
        -> Result<(HTTPClientResponse, Bool), Failure>
    {
        var head = "\(request.method.rawValue) \(target.pathAndQuery) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
        for (name, value) in request.headers.fields {
            // Scalars, not Characters: "\r\n" is one Character and would slip past a Character test.
            guard !name.isEmpty,
                !name.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" || $0 == " " }),
                !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" })
            else { return .failure(.failed(.invalidRequest("header \(name) is not a valid header"))) }
            if name.lowercased() == "content-length" || name.lowercased() == "host" { continue }
            head += "\(name): \(value)\r\n"
        }
        if !request.body.isEmpty || request.method != .get {
            head += "Content-Length: \(request.body.count)\r\n"
        }
        head += "\r\n"
        let bytes = Array(head.utf8) + request.body
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return .failure(errno == EAGAIN ? .failed(.timedOut) : .staleConnection) }
            sent += n
        }
        var reader = Reader(fd: fd, limit: request.maxResponseBytes)
        // Status line and headers.
        guard let headText = reader.readHead() else {
            return .failure(reader.received == 0 && !reader.timedOut ? .staleConnection : .failed(reader.error))
        }
        let lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ", maxSplits: 2) ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            return .failure(.failed(.transport(code: -1, message: "not an HTTP/1.1 answer")))
        }
        var headers = HTTPHeaders()
        var length: Int?
        var chunked = false
        var keepAlive = statusParts[0] == "HTTP/1.1"
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = String(
                line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }.reversed().drop {
                    $0 == " " || $0 == "\t"
                }
                .reversed())
            headers.add(name, value)
            switch name.lowercased() {
            case "content-length": length = Int(value)
            case "transfer-encoding": chunked = value.lowercased().contains("chunked")
            case "connection": keepAlive = !value.lowercased().contains("close")
            default: break
            }
        }
        var body: [UInt8] = []
        if chunked {
            while true {
                guard let sizeLine = reader.readLine(), let size = Int(sizeLine.prefix { $0 != ";" }, radix: 16) else {
                    return .failure(.failed(reader.error))
                }
                // A negative size would trap in read(_:); one past the limit is refused unread.
                guard size >= 0 else { return .failure(.failed(.transport(code: -1, message: "a bad chunk size"))) }
                guard size <= request.maxResponseBytes - body.count else {
                    return .failure(.failed(.responseTooLarge(limit: request.maxResponseBytes)))
                }
                if size == 0 {
                    _ = reader.readLine()
                    break
                }
                guard let chunk = reader.read(size), reader.readLine() != nil else {
                    return .failure(.failed(reader.error))
                }
                body += chunk
                if body.count > request.maxResponseBytes {
                    return .failure(.failed(.responseTooLarge(limit: request.maxResponseBytes)))
                }
            }
        } else if let length {
            guard length >= 0 else { return .failure(.failed(.transport(code: -1, message: "a bad Content-Length"))) }
            guard length <= request.maxResponseBytes else {
                return .failure(.failed(.responseTooLarge(limit: request.maxResponseBytes)))
            }
            guard let read = reader.read(length) else { return .failure(.failed(reader.error)) }
            body = read
        } else if status != 204 && status != 304 {
            // No length: the body runs to the end of the connection.
            body = reader.readToEnd()
            keepAlive = false
        }
        return .success((HTTPClientResponse(status: status, headers: headers, body: body), keepAlive))
    }

    /// Buffered reads from a blocking socket with a receive timeout.
    struct Reader {
        let fd: Int32
        let limit: Int
        var buffer: [UInt8] = []
        var received = 0
        var timedOut = false
        var closed = false

        init(fd: Int32, limit: Int) {
            self.fd = fd
            self.limit = limit
        }

        var error: HTTPClientError {
            timedOut ? .timedOut : .transport(code: -1, message: "the connection closed mid-answer")
        }

        mutating func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { timedOut = true }
                guard n > 0 else {
                    closed = true
                    return false
                }
                received += n
                buffer += chunk[0..<n]
                return true
            }
        }

        mutating func readHead() -> String? {
            while true {
                if let end = Self.find([13, 10, 13, 10], in: buffer) {
                    let head = String(decoding: buffer[0..<end], as: UTF8.self)
                    buffer.removeFirst(end + 4)
                    return head
                }
                guard buffer.count < 65536, fill() else { return nil }
            }
        }

        mutating func readLine() -> String? {
            while true {
                if let end = Self.find([13, 10], in: buffer) {
                    let line = String(decoding: buffer[0..<end], as: UTF8.self)
                    buffer.removeFirst(end + 2)
                    return line
                }
                guard buffer.count < 65536, fill() else { return nil }
            }
        }

        mutating func read(_ count: Int) -> [UInt8]? {
            while buffer.count < count { guard fill() else { return nil } }
            let out = Array(buffer[0..<count])
            buffer.removeFirst(count)
            return out
        }

        mutating func readToEnd() -> [UInt8] {
            while buffer.count <= limit, fill() {}
            return buffer
        }

        static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
            guard haystack.count >= needle.count else { return nil }
            for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
                if Array(haystack[i..<(i + needle.count)]) == needle { return i }
            }
            return nil
        }
    }
}

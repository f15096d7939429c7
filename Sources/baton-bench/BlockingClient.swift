import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// One keep-alive HTTP/1.1 connection on a blocking loopback socket, for load loops that each
/// own a thread. Much cheaper per request than the curl client, so the figures measure the
/// server more than the load generator sharing its two cores. Understands only what Baton sends:
/// a status line, headers, and a Content-Length body.
final class BlockingClient {
    private let port: UInt16
    /// The `Authorization` header line, or nothing for requests that carry no key (webhooks,
    /// which Linear signs but never sends a key with).
    private let authorization: String
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    init(url: String, key: String?) throws {
        // http://127.0.0.1:PORT
        guard let colon = url.lastIndex(of: ":"), let port = UInt16(url[url.index(after: colon)...]) else {
            throw BenchFailure("bench: expected http://127.0.0.1:PORT, got \(url)")
        }
        self.port = port
        authorization = key.map { "Authorization: Bearer \($0)\r\n" } ?? ""
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Sends one request and reads its answer; reconnects once if the server closed the connection.
    func call(_ method: String, _ path: String, _ body: String = "", headers: [(String, String)] = []) throws -> (
        status: Int, body: [UInt8]
    ) {
        do {
            return try attempt(method, path, body, headers)
        } catch {
            disconnect()
            return try attempt(method, path, body, headers)
        }
    }

    private func attempt(_ method: String, _ path: String, _ body: String, _ headers: [(String, String)]) throws -> (
        status: Int, body: [UInt8]
    ) {
        if fd < 0 { try connect() }
        let bodyBytes = Array(body.utf8)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(authorization)"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !bodyBytes.isEmpty || method != "GET" {
            head += "Content-Type: application/json\r\nContent-Length: \(bodyBytes.count)\r\n"
        }
        head += "\r\n"
        try send(Array(head.utf8) + bodyBytes)
        return try readResponse()
    }

    private func connect() throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw BenchFailure("socket: \(errno)") }
        var one: Int32 = 1
        setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(s)
            throw BenchFailure("connect: \(errno)")
        }
        fd = s
        buffer.removeAll(keepingCapacity: true)
    }

    private func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        buffer.removeAll(keepingCapacity: true)
    }

    private func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchFailure("send: \(errno)") }
            offset += n
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchFailure("connection closed") }
            buffer.append(contentsOf: chunk[0..<n])
            return
        }
    }

    private func readResponse() throws -> (status: Int, body: [UInt8]) {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
            if headEnd == nil { try fill() }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.count >= 12,
            let status = Int(statusLine.dropFirst(9).prefix(3))
        else { throw BenchFailure("bad status line") }
        var length = 0
        var closes = false
        for line in lines.dropFirst() {
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:") { length = Int(lower.dropFirst(15).trimmingSpaces) ?? 0 }
            if lower.hasPrefix("connection:") && lower.contains("close") { closes = true }
        }
        let bodyStart = headEnd! + 4
        while buffer.count < bodyStart + length { try fill() }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        if closes { disconnect() }
        return (status, body)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}

extension Substring {
}

import CLinux
import Foundation
import Glibc
import Synchronization

@testable import BatonHTTP

/// A blocking raw-socket HTTP/1.1 client for tests: it sends exactly the bytes a test gives it and
/// parses what comes back, so malformed and partial requests can be written on purpose.
/// Its calls block: run them inside `onThread`, never directly on the cooperative pool.
final class RawClient: @unchecked Sendable {
    struct Response {
        var status: Int
        var reason: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let fd: Int32
    private var buffer: [UInt8] = []

    /// `source` binds the client's end to that loopback address first (any of 127.0.0.0/8), so a
    /// test can connect from several remote addresses.
    init(port: Int, timeout: Double = 5, smallReceiveBuffer: Bool = false, source: String? = nil) throws {
        var address = sockaddr_storage()
        var length = socklen_t(0)
        guard baton_make_sockaddr("127.0.0.1", Int32(port), &address, &length) == 0 else {
            throw Failure(description: "address")
        }
        // The descriptor is stored only once connected: a throwing class init still runs deinit,
        // and closing twice could close another test's socket that reused the number.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = baton_set_tcp_nodelay(fd)
        if smallReceiveBuffer {
            // Set before connecting so the window stays small: lets tests fill the path quickly.
            _ = baton_set_int_option(fd, SOL_SOCKET, SO_RCVBUF, 64 * 1024)
        }
        if let source {
            var local = sockaddr_storage()
            var localLength = socklen_t(0)
            guard baton_make_sockaddr(source, 0, &local, &localLength) == 0 else {
                Glibc.close(fd)
                throw Failure(description: "source address \(source)")
            }
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, localLength) }
            }
            guard bound == 0 else {
                let e = errno
                Glibc.close(fd)
                throw Failure(description: "bind \(source): errno \(e)")
            }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw Failure(description: "connect: errno \(e)")
        }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { baton_send(fd, $0.baseAddress! + offset, $0.count - offset) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += n
        }
    }

    /// Reads more bytes into the buffer; false at end of input. Throws on timeout or reset.
    @discardableResult
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        if n == 0 { return false }
        let e = errno
        if e == EAGAIN || e == EWOULDBLOCK { throw Failure(description: "read timed out") }
        if e == ECONNRESET { return false }
        throw Failure(description: "read: errno \(e)")
    }

    private func readLine() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: 10), i > 0, buffer[i - 1] == 13 {
                let line = String(decoding: buffer[0..<(i - 1)], as: UTF8.self)
                buffer.removeFirst(i + 1)
                return line
            }
            guard try fill() else { throw Failure(description: "connection closed mid-line") }
        }
    }

    private func readExactly(_ n: Int) throws -> [UInt8] {
        while buffer.count < n {
            guard try fill() else { throw Failure(description: "connection closed mid-body") }
        }
        let bytes = Array(buffer[0..<n])
        buffer.removeFirst(n)
        return bytes
    }

    /// Status line and header fields; the body is left to read.
    func readHead() throws -> Response {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw Failure(description: "bad status line: \(statusLine)")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw Failure(description: "bad header: \(line)") }
            headers.append(
                (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
            )
        }
        return Response(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers, body: [])
    }

    /// One whole response; `head` for a response to HEAD (no body whatever the headers say).
    func readResponse(head: Bool = false) throws -> Response {
        var response = try readHead()
        if head || response.status < 200 || response.status == 204 || response.status == 304 { return response }
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while let chunk = try readChunk() { response.body += chunk }
        } else if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            response.body = try readExactly(length)
        } else {
            response.body = try readToEnd()
        }
        return response
    }

    /// The next chunk of a chunked body; nil after the last chunk (and trailers).
    func readChunk() throws -> [UInt8]? {
        let sizeLine = try readLine()
        guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
            throw Failure(description: "bad chunk size: \(sizeLine)")
        }
        if size == 0 {
            while try !readLine().isEmpty {}
            return nil
        }
        let data = try readExactly(size)
        guard try readLine().isEmpty else { throw Failure(description: "chunk not followed by CRLF") }
        return data
    }

    /// Everything until the server closes.
    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        let bytes = buffer
        buffer = []
        return bytes
    }

    /// True if the server closes the connection (end of input or reset) within the read timeout,
    /// with no bytes left unread.
    func waitForClose() throws -> Bool {
        try readToEnd().isEmpty
    }

    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }
}

/// Runs blocking client code on its own thread so the cooperative pool stays free.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}

/// A responder made of a closure.
struct TestResponder: HTTPResponder {
    let handler: @Sendable (HTTPRequest) async -> HTTPResponse
    init(_ handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) { self.handler = handler }
    func respond(to request: HTTPRequest) async -> HTTPResponse { await handler(request) }
}

/// Answers `METHOD target body-length` for any request, and counts calls.
final class EchoResponder: HTTPResponder {
    let calls = Atomic<Int>(0)
    func respond(to request: HTTPRequest) async -> HTTPResponse {
        calls.add(1, ordering: .relaxed)
        if request.path == "/body" {
            return HTTPResponse(status: .ok, bytes: request.body)
        }
        if request.path == "/peer" {
            return .text(.ok, request.remoteAddress)
        }
        return .text(.ok, "\(request.method) \(request.target) \(request.body.count)")
    }
}

/// Starts a server on 127.0.0.1, any port; shuts it down after `body`, even if `body` throws.
func withServer(
    _ configure: (inout HTTPServerConfiguration) -> Void = { _ in }, responder: any HTTPResponder = EchoResponder(),
    _ body: (HTTPServer, Int) async throws -> Void
) async throws {
    var configuration = HTTPServerConfiguration()
    configuration.port = 0
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, responder: responder)
    let (_, port) = try server.start()
    do {
        try await body(server, port)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}

/// A simple GET on a fresh connection; proves the server still serves after a bad client.
func getOK(port: Int, path: String = "/ok", source: String? = nil) async throws -> RawClient.Response {
    try await onThread {
        let client = try RawClient(port: port, source: source)
        try client.send("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n")
        return try client.readResponse()
    }
}

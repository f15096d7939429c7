import BatonPlatform
import Glibc
import Synchronization

/// Plain HTTP/1.1 over TCP, without libcurl, for a server Baton itself runs (the embedded workers
/// talk to their own coordinator over loopback): loading libcurl and its TLS stack only for that
/// cost several MiB of memory. Every request runs on the client's one poll thread
/// (`PlainHTTPLoop`), on a non-blocking socket taken from a pool of kept-alive connections, so a
/// worker's slots long-polling at once cost no thread each and consecutive requests reuse their
/// connections; cancelling the task closes its socket. It reads what Baton's server sends: a
/// status line, headers, and a Content-Length or chunked body (`PlainHTTPResponseParser`).
public final class PlainHTTPClient: HTTPTransport {
    private let loop: PlainHTTPLoop

    /// `maxIdleConnections` kept-alive connections wait for reuse; more are closed after their
    /// answer. Size it to the requests the caller has in flight at once, or connections churn.
    public init(maxIdleConnections: Int = 8) { loop = PlainHTTPLoop(maxIdle: max(0, maxIdleConnections)) }

    deinit { loop.stop() }

    /// Where a request stands, so a cancellation that comes before it reaches the loop stops it
    /// from being sent and one that comes after reaches the loop.
    private enum Gate { case new, submitted, cancelled }

    public func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let target = try Self.target(request.url)
        let bytes = try Self.requestBytes(request, target)
        let id = loop.nextID()
        let gate = Mutex(Gate.new)
        let result: Result<HTTPClientResponse, HTTPClientError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let send = gate.withLock { gate -> Bool in
                    guard gate == .new else { return false }
                    gate = .submitted
                    return true
                }
                guard send else { return continuation.resume(returning: .failure(.cancelled)) }
                loop.submit(
                    PlainHTTPLoop.Job(
                        id: id, target: target, bytes: bytes, timeout: request.timeout,
                        connectTimeout: request.connectTimeout, limit: request.maxResponseBytes,
                        continuation: continuation))
            }
        } onCancel: {
            let submitted = gate.withLock { gate -> Bool in
                defer { gate = .cancelled }
                return gate == .submitted
            }
            if submitted { loop.cancel(id) }
        }
        return try result.get()
    }

    struct Target: Sendable {
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

    /// The request's bytes: the request line, `Host`, the caller's headers (refused when one
    /// could inject a header), `Content-Length`, the body.
    static func requestBytes(_ request: HTTPClientRequest, _ target: Target) throws(HTTPClientError) -> [UInt8] {
        var head = "\(request.method.rawValue) \(target.pathAndQuery) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
        for (name, value) in request.headers.fields {
            // Scalars, not Characters: "\r\n" is one Character and would slip past a Character test.
            guard !name.isEmpty,
                !name.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" || $0 == " " }),
                !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" })
            else { throw .invalidRequest("header \(name) is not a valid header") }
            if name.lowercased() == "content-length" || name.lowercased() == "host" { continue }
            head += "\(name): \(value)\r\n"
        }
        if !request.body.isEmpty || request.method != .get {
            head += "Content-Length: \(request.body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + request.body
    }

    /// How many connections wait in the pool (for tests).
    var idleCount: Int { loop.idleCount.load(ordering: .relaxed) }

    /// How many connections are open, pooled or in flight (for tests).
    var openCount: Int { loop.openCount.load(ordering: .relaxed) }
}

import BatonTestSupport
import Glibc
import Synchronization
import Testing

@testable import BatonHTTP

/// The plain loopback client against Baton's own server on a real socket: bodies both ways,
/// chunked streams, kept-alive connections (and ones the server closed), cancellation, limits.
@Suite struct PlainHTTPClientTests {
    /// The server under test, and how many requests its `/slow` route has taken.
    final class Served: Sendable {
        let server: HTTPServer
        let slowRequests = Atomic<Int>(0)
        init(_ server: HTTPServer) { self.server = server }
    }

    static func withServer(
        idleTimeoutS: Int = 60, _ body: (PlainHTTPClient, String, Served) async throws -> Void
    ) async throws {
        let b = RouterBuilder()
        ClientTestRoutes.register(on: b)
        let slowRequests = Mutex<Served?>(nil)
        b.get("/slow") { _, _ in
            slowRequests.withLock { $0 }?.slowRequests.add(1, ordering: .relaxed)
            try await Task.sleep(for: .seconds(20))  // answers too late: it is cancelled or times out first
            return .text(.ok, "late")
        }
        b.get("/big") { _, _ in .text(.ok, String(repeating: "x", count: 10_000)) }
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.idleTimeout = .seconds(idleTimeoutS)
        let server = HTTPServer(configuration: configuration, responder: b.build())
        let served = Served(server)
        slowRequests.withLock { $0 = served }
        let bound = try server.start()
        let client = PlainHTTPClient()
        do {
            try await body(client, "http://127.0.0.1:\(bound.port)", served)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func bodiesQueriesAndStreams() async throws {
        try await Self.withServer { client, base, _ in
            let payload = (0..<70_000).map { UInt8($0 % 251) }
            let echoed = try await client.execute(
                HTTPClientRequest(
                    method: .post, url: base + "/echo", headers: ["Content-Type": "application/octet-stream"],
                    body: payload))
            #expect(echoed.status == 201 && echoed.body == payload)
            #expect(echoed.headers["Content-Type"] == "application/octet-stream")
            let query = try await client.execute(HTTPClientRequest(url: base + "/query/ENG-1?q=a%20b"))
            #expect(query.status == 200 && query.text == "ENG-1|a b")
            let stream = try await client.execute(HTTPClientRequest(url: base + "/stream"))
            #expect(stream.text == "id: 1\ndata: n1\n\nid: 2\ndata: n2\n\nid: 3\ndata: n3\n\n")
            let missing = try await client.execute(HTTPClientRequest(url: base + "/nothing"))
            #expect(missing.status == 404)
        }
    }

    /// Sequential requests reuse one connection; one the server closed while idle is replaced.
    @Test func keptAliveConnectionsAreReusedAndReplaced() async throws {
        try await Self.withServer(idleTimeoutS: 1) { (client, base, served) async throws in
            for _ in 0..<20 {
                #expect(try await client.execute(HTTPClientRequest(url: base + "/query/x")).status == 200)
            }
            // The server closes the idle connection at its timeout (1 s).
            #expect(await eventually { served.server.activeConnections == 0 })
            #expect(try await client.execute(HTTPClientRequest(url: base + "/query/y")).text == "y|")
        }
    }

    /// Connections the server closed while idle are closed on the client's side too at its next
    /// request, not left in CLOSE-WAIT until each happens to be reused.
    @Test func connectionsTheServerClosedLeaveThePool() async throws {
        try await Self.withServer(idleTimeoutS: 1) { (client, base, served) async throws in
            // Four at once: four connections, all kept.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<4 {
                    group.addTask {
                        _ = try await client.execute(HTTPClientRequest(url: base + "/query/\(n)"))
                    }
                }
                try await group.waitForAll()
            }
            #expect(client.idleCount >= 2)
            #expect(await eventually { served.server.activeConnections == 0 })
            #expect(try await client.execute(HTTPClientRequest(url: base + "/query/z")).text == "z|")
            // The closed ones were dropped before the request; only its own fresh one is kept.
            #expect(client.idleCount == 1)
        }
    }

    @Test func cancellingTheTaskShutsItsConnection() async throws {
        try await Self.withServer { client, base, served in
            let started = ContinuousClock.now
            let task = Task { try await client.execute(HTTPClientRequest(url: base + "/slow", timeout: .seconds(30))) }
            // Cancelled in flight: the handler holds the request.
            #expect(await eventually { served.slowRequests.load(ordering: .relaxed) == 1 })
            task.cancel()
            await #expect(throws: HTTPClientError.cancelled) { try await task.value }
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(await eventually { served.server.activeConnections == 0 })
        }
    }

    @Test func failuresAreClassified() async throws {
        try await Self.withServer { client, base, _ in
            await #expect(throws: HTTPClientError.timedOut) {
                try await client.execute(HTTPClientRequest(url: base + "/slow", timeout: .milliseconds(300)))
            }
            await #expect(throws: HTTPClientError.responseTooLarge(limit: 100)) {
                try await client.execute(HTTPClientRequest(url: base + "/big", maxResponseBytes: 100))
            }
            await #expect(throws: HTTPClientError.invalidRequest("header X-Bad is not a valid header")) {
                try await client.execute(HTTPClientRequest(url: base + "/query/x", headers: ["X-Bad": "a\r\nb: c"]))
            }
        }
        let client = PlainHTTPClient()
        for url in ["https://127.0.0.1/x", "http://example.com/x", "http://127.0.0.1:99999/", "ftp://x"] {
            await #expect(throws: HTTPClientError.invalidURL(url)) {
                try await client.execute(HTTPClientRequest(url: url))
            }
        }
        // Port 9 on loopback: nothing listens.
        await #expect {
            try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:9/"))
        } throws: { error in
            if case HTTPClientError.couldNotConnect = error { return true }
            return false
        }
    }

    /// A server that answers every connection with `answer` and closes it.
    static func withRawServer(_ answer: String, _ body: (String) async throws -> Void) async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0 && listen(fd, 8) == 0
            }
        }
        try #require(listening)
        let port = Int(UInt16(bigEndian: address.sin_port))
        // Accepts on a thread of its own (a blocking accept must not hold a cooperative thread).
        let serving = Task {
            try await offPool {
                while true {
                    let client = accept(fd, nil, nil)
                    if client < 0 { return }
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    _ = recv(client, &buffer, buffer.count, 0)
                    _ = Array(answer.utf8).withUnsafeBytes {
                        send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                    }
                    close(client)
                }
            }
        }
        try await body("http://127.0.0.1:\(port)")
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        try await serving.value
    }

    /// A negative length or chunk size trapped in the reader's `0..<count`; a chunk larger than
    /// the limit was read before it was refused. Each is now an error, before anything is read.
    @Test func negativeOrOversizeLengthsAreErrorsNotTraps() async throws {
        let answers = [
            "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nhello\r\n",
        ]
        for answer in answers {
            try await Self.withRawServer(answer) { base in
                let client = PlainHTTPClient()
                await #expect(throws: HTTPClientError.self, "\(answer)") {
                    try await client.execute(HTTPClientRequest(url: base + "/x", maxResponseBytes: 1000))
                }
            }
        }
    }
}

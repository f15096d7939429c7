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
        /// Requests `/hold` is holding, and whether it lets them go.
        let held = Atomic<Int>(0)
        let released = Atomic<Bool>(false)
        init(_ server: HTTPServer) { self.server = server }
    }

    static func withServer(
        idleTimeoutS: Int = 60, maxIdleConnections: Int = 8,
        _ body: (PlainHTTPClient, String, Served) async throws -> Void
    ) async throws {
        let b = RouterBuilder()
        ClientTestRoutes.register(on: b)
        let slowRequests = Mutex<Served?>(nil)
        b.get("/slow") { _, _ in
            slowRequests.withLock { $0 }?.slowRequests.add(1, ordering: .relaxed)
            try await Task.sleep(for: .seconds(20))  // answers too late: it is cancelled or times out first
            return .text(.ok, "late")
        }
        b.get("/hold") { _, _ in
            guard let served = slowRequests.withLock({ $0 }) else { return .text(.ok, "none") }
            served.held.add(1, ordering: .relaxed)
            while !served.released.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
            served.held.subtract(1, ordering: .relaxed)
            return .text(.ok, "released")
        }
        b.get("/big") { _, _ in .text(.ok, String(repeating: "x", count: 10_000)) }
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.idleTimeout = .seconds(idleTimeoutS)
        let server = HTTPServer(configuration: configuration, responder: b.build())
        let served = Served(server)
        slowRequests.withLock { $0 = served }
        let bound = try server.start()
        let client = PlainHTTPClient(maxIdleConnections: maxIdleConnections)
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
            // Four held by the server at once: four connections, all kept afterwards. (Quick
            // answers could come back one by one over a single connection.)
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await client.execute(HTTPClientRequest(url: base + "/hold")).text }
                }
                #expect(await eventually { served.held.load(ordering: .relaxed) == 4 })
                served.released.store(true, ordering: .relaxed)
                for try await text in group { #expect(text == "released") }
            }
            #expect(client.idleCount == 4)
            #expect(await eventually { served.server.activeConnections == 0 })
            #expect(try await client.execute(HTTPClientRequest(url: base + "/query/z")).text == "z|")
            // The closed ones were dropped before the request; only its own fresh one is kept.
            #expect(client.idleCount == 1)
        }
    }

    /// Threads of this process named like the client's I/O thread (Linux keeps 15 bytes of a name).
    static func clientThreads() -> Int {
        var count = 0
        guard let dir = opendir("/proc/self/task") else { return -1 }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.first?.isNumber == true, let file = fopen("/proc/self/task/\(name)/comm", "r") else { continue }
            var line = [CChar](repeating: 0, count: 64)
            if fgets(&line, Int32(line.count), file) != nil,
                String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    .hasPrefix("baton-plain-htt")
            {
                count += 1
            }
            fclose(file)
        }
        return count
    }

    /// 32 requests held by the server at once (the embedded worker's slots long-polling) run on
    /// the client's one thread, not a thread each; their connections are kept and the next 32
    /// requests reuse them all, opening none.
    @Test func requestsInFlightShareOneThreadAndReuseTheirConnections() async throws {
        try await Self.withServer(maxIdleConnections: 32) { (client, base, served) async throws in
            let before = Self.clientThreads()
            for round in 0..<2 {
                served.released.store(false, ordering: .relaxed)
                try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<32 {
                        group.addTask { try await client.execute(HTTPClientRequest(url: base + "/hold")).text }
                    }
                    #expect(await eventually { served.held.load(ordering: .relaxed) == 32 })
                    // Other tests running beside this one have clients of their own (a thread
                    // each, a dozen at most); a thread per request would add 32 here.
                    #expect(Self.clientThreads() - before < 16, "round \(round)")
                    #expect(served.server.activeConnections == 32)
                    #expect(client.openCount == 32)
                    served.released.store(true, ordering: .relaxed)
                    for try await text in group { #expect(text == "released") }
                }
                #expect(client.idleCount == 32)
                #expect(client.openCount == 32)
            }
        }
    }

    /// Consecutive requests go over one connection: the server never holds a second.
    @Test func consecutiveRequestsUseOneConnection() async throws {
        try await Self.withServer { (client, base, served) async throws in
            for n in 0..<50 {
                #expect(try await client.execute(HTTPClientRequest(url: base + "/query/\(n)")).text == "\(n)|")
                #expect(served.server.activeConnections == 1)
                #expect(client.openCount == 1)
            }
        }
    }

    /// A client that is released ends its thread and closes its connections.
    @Test func aReleasedClientEndsItsThreadAndConnections() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let b = RouterBuilder()
        ClientTestRoutes.register(on: b)
        let server = HTTPServer(configuration: configuration, responder: b.build())
        let bound = try server.start()
        var client: PlainHTTPClient? = PlainHTTPClient()
        for n in 0..<3 {
            #expect(
                try await client?.execute(HTTPClientRequest(url: "http://127.0.0.1:\(bound.port)/query/\(n)")).status
                    == 200)
        }
        #expect(server.activeConnections == 1)
        client = nil
        #expect(await eventually { server.activeConnections == 0 })
        await server.shutdown()
    }

    @Test func cancellingTheTaskShutsItsConnection() async throws {
        try await Self.withServer { client, base, served in
            let task = Task { try await client.execute(HTTPClientRequest(url: base + "/slow", timeout: .seconds(30))) }
            // Cancelled in flight: the handler holds the request. Timed from the cancel, not from
            // the start: how long the request took to reach a busy server is not what is checked.
            #expect(await eventually { served.slowRequests.load(ordering: .relaxed) == 1 })
            let started = ContinuousClock.now
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

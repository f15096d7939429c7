import BatonTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

@testable import BatonHTTP

/// Bad clients on a real socket. Each test also checks that the server keeps serving others and
/// that the responder never saw the bad request.
@Suite struct HTTPServerBadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let request: String
        let status: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "malformed request line", request: "HELLO WORLD\r\n\r\n", status: 400),
        Case(name: "TLS hello", request: "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\r\n\r\n", status: 400),
        Case(name: "invalid header bytes", request: "GET / HTTP/1.1\r\nHost: t\r\nX: a\u{01}b\r\n\r\n", status: 400),
        Case(name: "obs-fold", request: "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", status: 400),
        Case(name: "bare LF", request: "GET / HTTP/1.1\nHost: t\n\n", status: 400),
        Case(
            name: "invalid chunk size",
            request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nabc\r\n0\r\n\r\n",
            status: 400),
        Case(
            name: "Content-Length with Transfer-Encoding",
            request:
                "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            status: 400),
        Case(
            name: "conflicting Content-Length",
            request: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", status: 400),
        Case(
            name: "unknown transfer coding",
            request: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", status: 501),
        Case(name: "HTTP/2.0 version", request: "GET / HTTP/2.0\r\nHost: t\r\n\r\n", status: 505),
        Case(name: "missing Host", request: "GET / HTTP/1.1\r\n\r\n", status: 400),
    ]

    @Test(arguments: cases)
    func badRequestIsRefusedAndOthersAreServed(_ testCase: Case) async throws {
        let echo = EchoResponder()
        try await withServer(responder: echo) { server, port in
            let (response, closed) = try await onThread {
                let client = try RawClient(port: port)
                try client.send(testCase.request)
                let response = try client.readResponse()
                return (response, try client.waitForClose())
            }
            #expect(response.status == testCase.status)
            #expect(response.header("Connection") == "close")
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.text.contains("\"code\":"))
            #expect(closed)
            #expect(try await getOK(port: port).status == 200)
            #expect(echo.calls.load(ordering: .relaxed) == 1)
            #expect(await eventually { server.activeConnections == 0 })
        }
    }

    @Test func headerBlockOverTheLimitIs431() async throws {
        let echo = EchoResponder()
        try await withServer({ $0.maxHeaderBytes = 1024 }, responder: echo) { _, port in
            let (response, closed) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "x", count: 2000))\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.waitForClose())
            }
            #expect(response.status == 431)
            #expect(closed)
            #expect(try await getOK(port: port).status == 200)
            #expect(echo.calls.load(ordering: .relaxed) == 1)
        }
    }

    @Test func bodyOverTheLimitIs413BeforeTheBodyIsSent() async throws {
        let echo = EchoResponder()
        try await withServer({ $0.maxBodyBytes = 1000 }, responder: echo) { _, port in
            // Only the head is sent; the answer must come anyway, and no 100 Continue before it.
            let (response, closed) = try await onThread {
                let client = try RawClient(port: port)
                try client.send(
                    "POST /body HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.waitForClose())
            }
            #expect(response.status == 413)
            #expect(closed)
            // A body within the limit still works.
            let ok = try await onThread {
                let client = try RawClient(port: port)
                try client.send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
                try client.send(String(repeating: "b", count: 1000))
                return try client.readResponse()
            }
            #expect(ok.status == 200)
            #expect(ok.body.count == 1000)
            #expect(echo.calls.load(ordering: .relaxed) == 1)
        }
    }

    @Test func chunkedBodyGrowingPastTheLimitIs413() async throws {
        let echo = EchoResponder()
        try await withServer({ $0.maxBodyBytes = 100 }, responder: echo) { _, port in
            let response = try await onThread {
                let client = try RawClient(port: port)
                try client.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
                try client.send("40\r\n\(String(repeating: "a", count: 64))\r\n")
                try client.send("40\r\n\(String(repeating: "a", count: 64))\r\n0\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 413)
            #expect(try await getOK(port: port).status == 200)
            #expect(echo.calls.load(ordering: .relaxed) == 1)
        }
    }

    @Test func slowHeaderSenderIsClosedAtTheHeaderTimeoutWhileOthersAreServed() async throws {
        // A 3 s timeout leaves room to tell "served promptly" from "waited for the slow client"
        // even on a loaded two-core machine.
        try await withServer({ $0.headerTimeout = .seconds(3) }) { _, port in
            // The slowloris: one byte every 200 ms, never finishing its header block.
            let slow = Task {
                try await onThread { () -> (Double, String) in
                    let client = try RawClient(port: port)
                    let start = Date()
                    let request =
                        Array("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ".utf8)
                        + Array(repeating: UInt8(ascii: "z"), count: 100)
                    for byte in request {
                        try? client.send([byte])
                        var poller = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
                        if poll(&poller, 1, 200) > 0 { break }
                    }
                    let elapsed = Date().timeIntervalSince(start)
                    let rest = String(decoding: try client.readToEnd(), as: UTF8.self)
                    return (elapsed, rest)
                }
            }
            // Meanwhile other clients are served, each well inside the slow client's header timeout
            // (a server blocked by the slowloris would make them wait for it).
            // Timed on a thread of its own, so a busy cooperative pool in other tests cannot skew it.
            let durations = try await onThread { () -> [Double] in
                var out: [Double] = []
                for _ in 0..<5 {
                    let start = Date()
                    let client = try RawClient(port: port)
                    try client.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    let response = try client.readResponse()
                    out.append(response.status == 200 ? Date().timeIntervalSince(start) : -1)
                    usleep(100_000)  // spread over the slow client's first half second, on purpose
                }
                return out
            }
            for d in durations { #expect(d >= 0 && d < 2, "served in \(d) s") }
            let (elapsed, rest) = try await slow.value
            #expect(elapsed > 2.9 && elapsed < 5, "closed after \(elapsed) s")
            #expect(rest.hasPrefix("HTTP/1.1 408 "))
        }
    }

    @Test func slowBodySenderIsCutOffAtTheBodyDeadlineWhileOthersAreServed() async throws {
        // Every read comes well inside the idle timeout, so only the absolute body deadline can
        // end this body (before, each byte restarted the clock and the connection stayed open).
        try await withServer({
            $0.bodyTimeout = .seconds(3)
            $0.idleTimeout = .seconds(2)
        }) { server, port in
            let slow = Task {
                try await onThread { () -> (Double, String) in
                    let client = try RawClient(port: port, timeout: 10)
                    try client.send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
                    let start = Date()
                    for _ in 0..<100 {
                        try? client.send("z")
                        var poller = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
                        if poll(&poller, 1, 500) > 0 { break }
                    }
                    let elapsed = Date().timeIntervalSince(start)
                    let rest = String(decoding: try client.readToEnd(), as: UTF8.self)
                    return (elapsed, rest)
                }
            }
            // Meanwhile others are served promptly, bodies included.
            let durations = try await onThread { () -> [Double] in
                var out: [Double] = []
                for _ in 0..<5 {
                    let start = Date()
                    let client = try RawClient(port: port)
                    try client.send(
                        "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
                    let response = try client.readResponse()
                    out.append(
                        response.status == 200 && response.text == "hello" ? Date().timeIntervalSince(start) : -1)
                    usleep(100_000)
                }
                return out
            }
            for d in durations { #expect(d >= 0 && d < 2, "served in \(d) s") }
            let (elapsed, rest) = try await slow.value
            #expect(elapsed > 2.9 && elapsed < 5, "cut off after \(elapsed) s")
            #expect(rest.hasPrefix("HTTP/1.1 408 "))
            #expect(rest.contains("\"code\":\"request_timeout\""))
            #expect(server.statistics.bodyTimeouts == 1)
            #expect(await eventually { server.activeConnections == 0 })
        }
    }

    @Test func aSourceOverItsConnectionCapIsRefusedWhileOthersAreServed() async throws {
        try await withServer({ $0.maxConnectionsPerSource = 2 }) { server, port in
            var held = try await onThread {
                let clients = try (0..<2).map { _ in try RawClient(port: port, source: "127.0.0.1") }
                for client in clients {
                    try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                    #expect(try client.readResponse().status == 200)
                }
                return clients
            }
            #expect(server.connections(from: "127.0.0.1") == 2)
            let (refused, closed) = try await onThread {
                let client = try RawClient(port: port, source: "127.0.0.1")
                try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.waitForClose())
            }
            #expect(refused.status == 503)
            #expect(refused.text.contains("\"code\":\"too_many_connections\""))
            #expect(closed)
            #expect(server.statistics.sourceRefusals == 1)
            #expect(server.statistics.capacityRefusals == 0)
            // Another address is served meanwhile, up to its own cap.
            #expect(try await getOK(port: port, source: "127.0.0.2").status == 200)
            // Once one of the first address's connections closes, it gets in again.
            held.removeFirst()
            #expect(await eventually { server.connections(from: "127.0.0.1") == 1 })
            #expect(try await getOK(port: port, source: "127.0.0.1").status == 200)
            #expect(server.statistics.sourceRefusals == 1)
            withExtendedLifetime(held) {}
            held.removeAll()
            #expect(await eventually { server.activeConnections == 0 && server.connections(from: "127.0.0.1") == 0 })
        }
    }

    @Test func clientDisconnectingMidBodyIsForgotten() async throws {
        let echo = EchoResponder()
        try await withServer(responder: echo) { server, port in
            try await onThread {
                let client = try RawClient(port: port)
                try client.send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789")
            }
            #expect(await eventually { server.activeConnections == 0 })
            #expect(try await getOK(port: port).status == 200)
            #expect(echo.calls.load(ordering: .relaxed) == 1)
        }
    }

    @Test func connectionsBeyondTheLimitGet503() async throws {
        try await withServer({ $0.maxConnections = 2 }) { server, port in
            var held = try await onThread {
                let clients = try (0..<2).map { _ in try RawClient(port: port) }
                for client in clients {
                    try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                    #expect(try client.readResponse().status == 200)
                }
                return clients
            }
            #expect(server.activeConnections == 2)
            let (refused, closed) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.waitForClose())
            }
            #expect(refused.status == 503)
            #expect(closed)
            #expect(server.activeConnections == 2)
            #expect(server.statistics.capacityRefusals == 1)
            // Once one leaves, a new client gets in.
            held.removeFirst()  // closes that client's socket
            #expect(await eventually { server.activeConnections == 1 })
            #expect(try await getOK(port: port).status == 200)
            withExtendedLifetime(held) {}
        }
    }
}

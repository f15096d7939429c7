import BatonTestSupport
import Foundation
import Synchronization
import Testing

@testable import BatonHTTP

/// Normal traffic on a real socket: framing, keep-alive, pipelining, HEAD, 100-continue, load.
@Suite struct HTTPServerTests {
    @Test func servesAGetWithDateAndLength() async throws {
        try await withServer { _, port in
            let response = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /hello?x=1 HTTP/1.1\r\nHost: test\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.text == "GET /hello?x=1 0")
            #expect(response.header("Content-Length") == "16")
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            #expect(response.header("Connection") == nil)
        }
    }

    @Test func requestsCarryTheRemoteAddress() async throws {
        try await withServer { _, port in
            let response = try await getOK(port: port, path: "/peer")
            let parts = response.text.split(separator: ":")
            #expect(parts.count == 2)
            #expect(parts.first == "127.0.0.1")
            #expect((Int(parts.last ?? "") ?? 0) > 0)
        }
    }

    @Test func serverOwnsFramingHeaders() async throws {
        let responder = TestResponder { _ in
            HTTPResponse(
                status: .ok,
                headers: [
                    "Content-Length": "999", "Transfer-Encoding": "gzip", "X-Injected": "a\r\nSet-Cookie: x=1",
                    "X-Fine": "yes",
                ], bytes: Array("abc".utf8))
        }
        try await withServer(responder: responder) { _, port in
            let response = try await getOK(port: port)
            #expect(response.text == "abc")
            #expect(response.header("Content-Length") == "3")
            #expect(response.header("Transfer-Encoding") == nil)
            #expect(response.header("X-Injected") == nil)
            #expect(response.header("Set-Cookie") == nil)
            #expect(response.header("X-Fine") == "yes")
        }
    }

    @Test func tenThousandSequentialRequestsOnOneConnection() async throws {
        try await withServer { server, port in
            let count = try await onThread {
                let client = try RawClient(port: port)
                var served = 0
                for i in 0..<10_000 {
                    try client.send("GET /n/\(i) HTTP/1.1\r\nHost: test\r\n\r\n")
                    let response = try client.readResponse()
                    guard response.status == 200, response.text == "GET /n/\(i) 0" else { break }
                    served += 1
                }
                #expect(server.activeConnections == 1)
                return served
            }
            #expect(count == 10_000)
        }
    }

    @Test func fiveHundredConcurrentConnections() async throws {
        try await withServer { server, port in
            // Four threads of 125 connections each; every connection stays open until all have
            // been answered, so the server holds 500 at once. Each thread connects from an address
            // of its own, within the per-source cap.
            let groups = try await withThrowingTaskGroup(of: [RawClient].self) { group in
                for g in 0..<4 {
                    group.addTask {
                        try await onThread {
                            let clients = try (0..<125).map { _ in
                                try RawClient(port: port, source: "127.0.0.\(g + 1)")
                            }
                            for (i, client) in clients.enumerated() {
                                try client.send("GET /c/\(g)/\(i) HTTP/1.1\r\nHost: test\r\n\r\n")
                            }
                            for (i, client) in clients.enumerated() {
                                let response = try client.readResponse()
                                #expect(response.text == "GET /c/\(g)/\(i) 0")
                            }
                            return clients
                        }
                    }
                }
                var all: [[RawClient]] = []
                for try await clients in group { all.append(clients) }
                return all
            }
            #expect(groups.map(\.count).reduce(0, +) == 500)
            #expect(server.activeConnections == 500)
            #expect((1...4).map { server.connections(from: "127.0.0.\($0)") } == [125, 125, 125, 125])
            withExtendedLifetime(groups) {}
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let responder = TestResponder { request in
            // A slow first request must not let later ones overtake it.
            if request.path == "/slow" { try? await Task.sleep(for: .milliseconds(50)) }
            return .text(.ok, "\(request.path) \(String(decoding: request.body, as: UTF8.self))")
        }
        try await withServer(responder: responder) { _, port in
            let bodies = try await onThread {
                let client = try RawClient(port: port)
                try client.send(
                    "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n" + "GET /2 HTTP/1.1\r\nHost: t\r\n\r\n"
                        + "POST /3 HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody"
                        + "POST /4 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nch\r\n0\r\n\r\n"
                        + "GET /5 HTTP/1.1\r\nHost: t\r\n\r\n")
                return try (0..<5).map { _ in try client.readResponse().text }
            }
            #expect(bodies == ["/slow ", "/2 ", "/3 body", "/4 ch", "/5 "])
        }
    }

    @Test func manyPipelinedRequestsInOneWrite() async throws {
        try await withServer { _, port in
            let texts = try await onThread {
                let client = try RawClient(port: port)
                let batch = (0..<300).map { "GET /p/\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined()
                try client.send(batch)
                return try (0..<300).map { _ in try client.readResponse().text }
            }
            #expect(texts == (0..<300).map { "GET /p/\($0) 0" })
        }
    }

    @Test func chunkedRequestBody() async throws {
        try await withServer { _, port in
            let response = try await onThread {
                let client = try RawClient(port: port)
                try client.send("POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
                try client.send("6;ext=1\r\nhello \r\n")
                try client.send("5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.text == "hello world")
        }
    }

    @Test func expectContinueGets100BeforeTheBody() async throws {
        try await withServer { _, port in
            let (interim, final) = try await onThread {
                let client = try RawClient(port: port)
                try client.send(
                    "PUT /body HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
                let interim = try client.readHead()
                try client.send("12345")
                return (interim, try client.readResponse())
            }
            #expect(interim.status == 100)
            #expect(final.status == 200)
            #expect(final.text == "12345")
        }
    }

    @Test func headHasGetHeadersButNoBody() async throws {
        let responder = TestResponder { _ in .text(.ok, "same body") }
        try await withServer(responder: responder) { _, port in
            let (head, get) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("HEAD /same HTTP/1.1\r\nHost: t\r\n\r\n")
                let head = try client.readResponse(head: true)
                // If the HEAD response had carried a body, this would read it as the next response.
                try client.send("GET /same HTTP/1.1\r\nHost: t\r\n\r\n")
                return (head, try client.readResponse())
            }
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "9")
            #expect(head.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(get.text == "same body")
            #expect(get.header("Content-Length") == "9")
        }
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() async throws {
        try await withServer { _, port in
            let (first, closed) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /old HTTP/1.0\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.waitForClose())
            }
            #expect(first.status == 200)
            #expect(first.header("Connection") == "close")
            #expect(closed)

            let texts = try await onThread {
                let client = try RawClient(port: port)
                var texts: [String] = []
                for i in 0..<2 {
                    try client.send("GET /ka/\(i) HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                    let response = try client.readResponse()
                    #expect(response.header("Connection") == "keep-alive")
                    texts.append(response.text)
                }
                return texts
            }
            #expect(texts == ["GET /ka/0 0", "GET /ka/1 0"])
        }
    }

    @Test func connectionCloseFromTheClientIsHonoured() async throws {
        try await withServer { _, port in
            let (response, closed) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.waitForClose())
            }
            #expect(response.header("Connection") == "close")
            #expect(closed)
        }
    }

    @Test func halfClosedClientStillGetsItsAnswer() async throws {
        try await withServer { server, port in
            let (response, closed) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /half HTTP/1.1\r\nHost: t\r\n\r\n")
                client.shutdownWrite()
                let response = try client.readResponse()
                return (response, try client.waitForClose())
            }
            #expect(response.text == "GET /half 0")
            #expect(closed)
            #expect(await eventually { server.activeConnections == 0 })
        }
    }

    @Test func severalEventLoopsServeConnections() async throws {
        try await withServer({ $0.eventLoopCount = 3 }) { server, port in
            let texts = try await onThread {
                let clients = try (0..<12).map { _ in try RawClient(port: port) }
                return try clients.enumerated().map { i, client in
                    try client.send("GET /l/\(i) HTTP/1.1\r\nHost: t\r\n\r\n")
                    return try client.readResponse().text
                }
            }
            #expect(texts == (0..<12).map { "GET /l/\($0) 0" })
            #expect(await eventually { server.activeConnections == 0 })
        }
    }

    @Test func handlerTaskIsCancelledWhenTheClientLeaves() async throws {
        let cancelled = Atomic<Bool>(false)
        let started = Atomic<Bool>(false)
        let responder = TestResponder { _ in
            started.store(true, ordering: .relaxed)
            // A long poll: sleeps until its client goes away.
            do { try await Task.sleep(for: .seconds(30)) } catch { cancelled.store(true, ordering: .relaxed) }
            return .text(.ok, "late")
        }
        try await withServer(responder: responder) { server, port in
            let client = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /poll HTTP/1.1\r\nHost: t\r\n\r\n")
                return client
            }
            #expect(await eventually { started.load(ordering: .relaxed) })
            client.shutdownWrite()
            #expect(await eventually { cancelled.load(ordering: .relaxed) })
            #expect(await eventually { server.activeConnections == 0 })
        }
    }
}

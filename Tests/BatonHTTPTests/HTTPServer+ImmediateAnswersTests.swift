import Testing

@testable import BatonHTTP

/// Answers a responder gives at once are written on the loop without a task: on a real socket,
/// mixed with suspending ones, pipelined, for HEAD and as streams.
@Suite struct HTTPServerImmediateAnswersTests {
    static func makeRouter() -> Router {
        let b = RouterBuilder()
        b.use(RequestIDMiddleware())
        b.get("/now", synchronous: { request, _ in .text(.ok, "now \(request.query)") })
        b.get("/later") { request, _ in
            try await Task.sleep(for: .milliseconds(20))
            return .text(.ok, "later \(request.query)")
        }
        b.get(
            "/stream",
            synchronous: { _, _ in
                HTTPResponse(
                    status: .ok, headers: ["Content-Type": "text/event-stream"],
                    body: .stream { writer in
                        for i in 0..<3 { try await writer.write(Array("data: \(i)\n\n".utf8)) }
                    })
            })
        return b.build()
    }

    @Test func pipelinedImmediateAndLaterAnswersKeepTheirOrder() async throws {
        try await withServer(responder: Self.makeRouter()) { _, port in
            let texts = try await onThread {
                let client = try RawClient(port: port)
                let targets = ["/now?1", "/later?2", "/now?3", "/now?4", "/later?5", "/now?6"]
                try client.send(targets.map { "GET \($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined())
                return try targets.map { _ in try client.readResponse().text }
            }
            #expect(texts == ["now 1", "later 2", "now 3", "now 4", "later 5", "now 6"])
        }
    }

    @Test func manyPipelinedImmediateAnswersInOneWrite() async throws {
        try await withServer(responder: Self.makeRouter()) { _, port in
            let responses = try await onThread {
                let client = try RawClient(port: port)
                try client.send((0..<500).map { "GET /now?\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined())
                return try (0..<500).map { _ in try client.readResponse() }
            }
            #expect(responses.map(\.text) == (0..<500).map { "now \($0)" })
            #expect(Set(responses.compactMap { $0.header("X-Request-Id") }).count == 500)
        }
    }

    @Test func headOfAnImmediateAnswerHasNoBody() async throws {
        try await withServer(responder: Self.makeRouter()) { _, port in
            let (head, get) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("HEAD /now?x HTTP/1.1\r\nHost: t\r\n\r\n")
                let head = try client.readResponse(head: true)
                // A body after the HEAD answer would be read as this answer.
                try client.send("GET /now?y HTTP/1.1\r\nHost: t\r\n\r\n")
                return (head, try client.readResponse())
            }
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "5")
            #expect(get.text == "now y")
        }
    }

    @Test func anImmediateStreamIsSentChunkedAndTheConnectionStaysUsable() async throws {
        try await withServer(responder: Self.makeRouter()) { _, port in
            let (head, chunks, next) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
                let head = try client.readHead()
                var chunks: [String] = []
                while let chunk = try client.readChunk() { chunks.append(String(decoding: chunk, as: UTF8.self)) }
                try client.send("GET /now?after HTTP/1.1\r\nHost: t\r\n\r\n")
                return (head, chunks, try client.readResponse())
            }
            #expect(head.header("Transfer-Encoding") == "chunked")
            #expect(head.header("X-Request-Id")?.isEmpty == false)
            #expect(chunks == ["data: 0\n\n", "data: 1\n\n", "data: 2\n\n"])
            #expect(next.text == "now after")
        }
    }

    @Test func aRequestPipelinedBehindAnImmediateStreamIsAnswered() async throws {
        try await withServer(responder: Self.makeRouter()) { _, port in
            let (chunks, next) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\nGET /now?behind HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try client.readHead()
                var chunks = 0
                while try client.readChunk() != nil { chunks += 1 }
                return (chunks, try client.readResponse())
            }
            #expect(chunks == 3)
            #expect(next.text == "now behind")
        }
    }

    @Test func closeAfterAnImmediateAnswerIsHonoured() async throws {
        try await withServer(responder: Self.makeRouter()) { _, port in
            let (response, closed) = try await onThread {
                let client = try RawClient(port: port)
                try client.send(
                    "GET /now?c HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /now?d HTTP/1.1\r\n\r\n")
                let response = try client.readResponse()
                return (response, try client.waitForClose())
            }
            #expect(response.text == "now c")
            #expect(response.header("Connection") == "close")
            #expect(closed)
        }
    }
}

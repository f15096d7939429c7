import BatonTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

@testable import BatonHTTP

/// `.stream` bodies: chunked framing, HTTP/1.0, backpressure, and clients that leave.
@Suite struct HTTPServerStreamingTests {
    @Test func streamIsSentChunkedAndTheConnectionStaysUsable() async throws {
        let responder = TestResponder { request in
            if request.path != "/events" { return .text(.ok, "plain") }
            return HTTPResponse(
                status: .ok, headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    for i in 0..<3 { try await writer.write(Array("data: \(i)\n\n".utf8)) }
                })
        }
        try await withServer(responder: responder) { _, port in
            let (head, chunks, next) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
                let head = try client.readHead()
                var chunks: [String] = []
                while let chunk = try client.readChunk() { chunks.append(String(decoding: chunk, as: UTF8.self)) }
                try client.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n")
                return (head, chunks, try client.readResponse())
            }
            #expect(head.status == 200)
            #expect(head.header("Transfer-Encoding") == "chunked")
            #expect(head.header("Content-Length") == nil)
            #expect(head.header("Content-Type") == "text/event-stream")
            #expect(chunks == ["data: 0\n\n", "data: 1\n\n", "data: 2\n\n"])
            #expect(next.text == "plain")
        }
    }

    @Test func streamToHTTP10IsUnframedAndEndsWithClose() async throws {
        let responder = TestResponder { _ in
            HTTPResponse(
                body: .stream { writer in
                    try await writer.write(Array("one,".utf8))
                    try await writer.write(Array("two".utf8))
                })
        }
        try await withServer(responder: responder) { _, port in
            let response = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.header("Transfer-Encoding") == nil)
            #expect(response.header("Connection") == "close")
            #expect(response.text == "one,two")
        }
    }

    @Test func headOfAStreamSendsHeadersOnly() async throws {
        let ran = Atomic<Bool>(false)
        let responder = TestResponder { _ in
            HTTPResponse(
                body: .stream { writer in
                    ran.store(true, ordering: .relaxed)
                    try await writer.write(Array("x".utf8))
                })
        }
        try await withServer(responder: responder) { _, port in
            let head = try await onThread {
                let client = try RawClient(port: port)
                try client.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n")
                let head = try client.readResponse(head: true)
                try client.send("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                _ = try client.readResponse()
                return head
            }
            #expect(head.header("Transfer-Encoding") == "chunked")
            let streamRan = ran.load(ordering: .relaxed)
            #expect(streamRan)  // the GET ran it; the HEAD did not send a body
        }
    }

    @Test func streamSeesTheClientLeave() async throws {
        enum End: Sendable { case running, writeFailed, cancelled }
        let end = Mutex(End.running)
        let responder = TestResponder { request in
            if request.path != "/events" { return .text(.ok, "plain") }
            return HTTPResponse(
                headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    do {
                        while true {  // a tick every 10 ms until the client leaves
                            try await writer.write(Array("data: tick\n\n".utf8))
                            try await Task.sleep(for: .milliseconds(10))
                        }
                    } catch is ResponseBodyWriterError {
                        end.withLock { $0 = .writeFailed }
                    } catch {
                        end.withLock { $0 = .cancelled }
                    }
                })
        }
        try await withServer(responder: responder) { server, port in
            let first = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try client.readHead()
                return try client.readChunk()
                // The client is dropped here: its socket closes.
            }
            #expect(first == Array("data: tick\n\n".utf8))
            #expect(await eventually { end.withLock { $0 != .running } })
            #expect(await eventually { server.activeConnections == 0 })
            #expect(try await getOK(port: port).status == 200)
        }
    }

    @Test func writerAppliesBackpressure() async throws {
        let written = Atomic<Int>(0)
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        let total = 256  // 16 MiB
        let responder = TestResponder { _ in
            HTTPResponse(
                body: .stream { writer in
                    for _ in 0..<total {
                        try await writer.write(chunk)
                        written.add(1, ordering: .relaxed)
                    }
                })
        }
        try await withServer(responder: responder) { _, port in
            let client = try await onThread { () -> RawClient in
                let client = try RawClient(port: port, smallReceiveBuffer: true)
                try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                return client
            }
            // The client reads nothing: the writer must stall once the socket buffers are full (no
            // chunk written over four looks 100 ms apart: one quiet look could be a writer that a
            // loaded machine merely did not run for 100 ms, which would then write on below).
            var stalledAt = -1
            var quietLooks = 0
            #expect(
                await eventually(interval: .milliseconds(100)) {
                    let now = written.load(ordering: .relaxed)
                    quietLooks = now > 0 && now == stalledAt ? quietLooks + 1 : 0
                    stalledAt = now
                    return quietLooks >= 3
                })
            // And it stays stalled: time passes on purpose, to show nothing more is written.
            try await Task.sleep(for: .milliseconds(200))
            #expect(written.load(ordering: .relaxed) == stalledAt)
            #expect(stalledAt < total / 2, "wrote \(stalledAt) chunks without a reader")
            // Then everything arrives once the client reads.
            let received = try await onThread {
                _ = try client.readHead()
                var count = 0
                while let data = try client.readChunk() { count += data.count }
                return count
            }
            #expect(received == total * chunk.count)
            #expect(written.load(ordering: .relaxed) == total)
        }
    }
}

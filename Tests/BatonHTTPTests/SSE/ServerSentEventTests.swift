import Testing

@testable import BatonHTTP

@Suite struct ServerSentEventTests {
    static func text(_ e: ServerSentEvent) -> String { String(decoding: e.encoded(), as: UTF8.self) }

    @Test func encodesAllFields() {
        #expect(
            Self.text(ServerSentEvent(id: "7", event: "job.done", data: "{}", retry: 3000))
                == "id: 7\nevent: job.done\nretry: 3000\ndata: {}\n\n")
    }

    @Test func splitsDataOnEveryKindOfLineBreak() {
        #expect(Self.text(ServerSentEvent(data: "a\nb\r\nc\rd")) == "data: a\ndata: b\ndata: c\ndata: d\n\n")
        #expect(Self.text(ServerSentEvent(data: "")) == "data: \n\n")
        #expect(Self.text(ServerSentEvent(data: "end\n")) == "data: end\ndata: \n\n")
        #expect(Self.text(ServerSentEvent(data: "é 🚀")) == "data: é 🚀\n\n")
        #expect(Self.text(ServerSentEvent(data: "a\r\rb")) == "data: a\ndata: \ndata: b\n\n")
        #expect(Self.text(ServerSentEvent(data: "\r\n\n")) == "data: \ndata: \ndata: \n\n")
        // A leading space survives: the parser strips only the one after the colon.
        #expect(Self.text(ServerSentEvent(data: " x")) == "data:  x\n\n")
    }

    @Test func idAndEventCannotInjectFields() {
        let e = ServerSentEvent(id: "1\ndata: x\0", event: "a\r\nretry: 1", data: "d")
        #expect(Self.text(e) == "id: 1 data: x\nevent: a retry: 1\ndata: d\n\n")
    }

    @Test func commentsAreSingleLines() {
        #expect(String(decoding: ServerSentEvent.comment("heartbeat"), as: UTF8.self) == ": heartbeat\n\n")
        #expect(String(decoding: ServerSentEvent.comment("a\nb"), as: UTF8.self) == ": a b\n\n")
    }

    @Test func eventStreamResponseHasTheRightHeaders() {
        let r = HTTPResponse.eventStream { _ in }
        #expect(r.headers["Content-Type"] == "text/event-stream")
        #expect(r.headers["Cache-Control"] == "no-cache")
        guard case .stream = r.body else {
            Issue.record("expected a streaming body")
            return
        }
    }

    @Test func lastEventIDIsReadFromTheHeader() {
        #expect(HTTPRequest(method: .get, target: "/e", headers: ["Last-Event-ID": "42"]).lastEventID == "42")
        #expect(HTTPRequest(method: .get, target: "/e", headers: ["last-event-id": " 7 "]).lastEventID == "7")
        #expect(HTTPRequest(method: .get, target: "/e", headers: ["Last-Event-ID": ""]).lastEventID == nil)
        #expect(HTTPRequest(method: .get, target: "/e").lastEventID == nil)
    }

    actor Collect: ResponseBodyWriter {
        var bytes: [UInt8] = []
        func write(_ chunk: [UInt8]) async throws { bytes += chunk }
    }

    @Test func writersTakeEventsAndComments() async throws {
        let sink = Collect()
        try await sink.write(ServerSentEvent(id: "1", data: "x"))
        try await sink.writeComment("heartbeat")
        #expect(String(decoding: await sink.bytes, as: UTF8.self) == "id: 1\ndata: x\n\n: heartbeat\n\n")
    }

    @Test func eventStreamBodyIsAStream() async throws {
        let response = HTTPResponse.eventStream { writer in try await writer.write(ServerSentEvent(data: "hi")) }
        #expect(response.headers["X-Accel-Buffering"] == "no")
        guard case .stream(let produce) = response.body else {
            Issue.record("not a stream")
            return
        }
        let sink = Collect()
        try await produce(sink)
        #expect(String(decoding: await sink.bytes, as: UTF8.self) == "data: hi\n\n")
    }
}

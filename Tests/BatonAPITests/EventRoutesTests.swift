import BatonCore
import BatonHTTP
import BatonTestSupport
import Testing

@testable import BatonAPI

@Suite struct EventRoutesTests {
    static func subscribe(_ c: TestCoordinator, _ port: Int, query: String = "", lastEventID: String? = nil)
        async throws -> RawConnection
    {
        let connection = try RawConnection(port: port)
        var request =
            "GET /api/v1/events\(query) HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nAuthorization: Bearer \(c.adminKey)\r\n"
        if let lastEventID { request += "Last-Event-ID: \(lastEventID)\r\n" }
        try connection.send(request + "\r\n")
        #expect(await connection.awaitText { $0.contains(": subscribed") })
        return connection
    }

    /// The ids of the SSE messages received so far, in order.
    static func ids(_ text: String) -> [Int64] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            line.hasPrefix("id: ") ? Int64(line.dropFirst(4)) : nil
        }
    }

    @Test func streamsEventsWithIdsAndTheEventStreamHeaders() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let connection = try await Self.subscribe(c, port)
        #expect(connection.text.hasPrefix("HTTP/1.1 200"))
        #expect(connection.text.lowercased().contains("content-type: text/event-stream"))
        let event = try await c.events.publish(EventDraft(type: "test.hello", issue: "ENG-1", data: #"{"n":1}"#))
        #expect(await connection.awaitText { $0.contains("id: \(event.id)\n") })
        #expect(connection.text.contains("event: test.hello\n"))
        #expect(connection.text.contains("data: " + event.json + "\n"))
        await server.shutdown()
    }

    /// A stream lives no longer than its key.
    @Test func revokingTheKeyEndsItsStream() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let key = try c.makeKey(.viewer)
        let connection = try RawConnection(port: port)
        try connection.send(
            "GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(key)\r\n\r\n")
        #expect(await connection.awaitText { $0.contains(": subscribed") })
        let id = try #require(APIKeyToken(parsing: key)?.id)
        #expect(await c.request(.delete, "/api/v1/keys/\(id)").status == .noContent)
        #expect(await connection.awaitText { $0.hasSuffix("0\r\n\r\n") })
        await server.shutdown()
    }

    @Test func resumesAfterLastEventIDWithoutMissingEvents() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        var first: RawConnection? = try await Self.subscribe(c, port)
        for i in 1...3 { try await c.events.publish(EventDraft(type: "test.n", data: "{\"i\":\(i)}")) }
        #expect(await first!.awaitText { Self.ids($0) == [1, 2, 3] })
        // The client goes away; events keep happening while it is disconnected.
        first = nil
        for i in 4...6 { try await c.events.publish(EventDraft(type: "test.n", data: "{\"i\":\(i)}")) }
        let resumed = try await Self.subscribe(c, port, lastEventID: "3")
        try await c.events.publish(EventDraft(type: "test.n", data: "{\"i\":7}"))
        #expect(await resumed.awaitText { Self.ids($0) == [4, 5, 6, 7] })
        await server.shutdown()
        _ = first
    }

    @Test func filtersByTypeAndIssue() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let connection = try await Self.subscribe(c, port, query: "?types=job.*,worker.online&issue=ENG-2")
        try await c.events.publish(EventDraft(type: "job.created", issue: "ENG-1"))
        try await c.events.publish(EventDraft(type: "audit.appended", issue: "ENG-2"))
        let wanted = try await c.events.publish(EventDraft(type: "job.created", issue: "ENG-2"))
        #expect(await connection.awaitText { Self.ids($0) == [wanted.id] }, "\(connection.text)")
        await server.shutdown()
    }

    @Test func sendsHeartbeatComments() async throws {
        let c = try await TestCoordinator.make(sseHeartbeat: .milliseconds(100))
        defer { c.close() }
        let (server, port) = try c.startServer()
        let connection = try await Self.subscribe(c, port)
        #expect(await connection.awaitText(timeoutMs: 3000) { $0.contains(": heartbeat\n\n") })
        await server.shutdown()
    }

    @Test func aDisconnectedSubscriberIsReleased() async throws {
        let c = try await TestCoordinator.make(sseHeartbeat: .milliseconds(50))
        defer { c.close() }
        let (server, port) = try c.startServer()
        var connection: RawConnection? = try await Self.subscribe(c, port)
        #expect(c.events.subscriberCount == 1)
        connection = nil
        #expect(await eventually { c.events.subscriberCount == 0 })
        // The server keeps serving others.
        #expect(await c.request(.get, "/health").status == .ok)
        let other = try RawConnection(port: port)
        try other.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await other.awaitText { $0.contains("\"status\":\"ok\"") })
        await server.shutdown()
        _ = connection
    }

    /// A burst delivered at once (the bus yields to every stream before any can drain): a client
    /// more than `server.sse_buffer` events behind has its stream ended, and is let go.
    @Test func aClientFurtherBehindThanTheSSEBufferIsEnded() async throws {
        for (buffer, ended) in [(16, true), (1024, false)] {
            let c = try await TestCoordinator.make(configFile: ["server": ["sse_buffer": .int(Int64(buffer))]])
            defer { c.close() }
            let (server, port) = try c.startServer()
            let connection = try await Self.subscribe(c, port)
            #expect(c.events.subscriberCount == 1)
            let first = c.events.lastEventID + 1
            c.events.didCommit(
                (first..<(first + 100)).map {
                    Event(
                        id: $0, type: "test.burst", tenant: nil, issue: nil, at: "2026-12-06T00:00:00.000Z", data: "{}")
                })
            if ended {
                #expect(await eventually { c.events.subscriberCount == 0 })
                #expect(await connection.awaitText { $0.hasSuffix("0\r\n\r\n") })
                // The stream's task may drain a few while the burst is yielded, on another thread.
                #expect(Self.ids(connection.text).count < 100)
            } else {
                #expect(await connection.awaitText { Self.ids($0).count == 100 })
                #expect(c.events.subscriberCount == 1)
            }
            await server.shutdown()
        }
    }

    @Test func shutdownEndsOpenStreams() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let connection = try await Self.subscribe(c, port)
        await server.shutdown()
        #expect(await connection.awaitEOF())
        #expect(connection.text.hasSuffix("0\r\n\r\n"))
    }

    @Test func malformedLastEventIDIsRefusedAndChangesNothing() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.events.publish(EventDraft(type: "before"))
        for bad in ["abc", "-1", "1e3", String(repeating: "9", count: 40)] {
            let response = await c.request(.get, "/api/v1/events", headers: ["Last-Event-ID": bad])
            #expect(response.status == .badRequest, "\(bad)")
            #expect(response.bodyText.contains(#""code":"bad_request""#))
        }
        let viaQuery = await c.request(.get, "/api/v1/events?last_event_id=x")
        #expect(viaQuery.status == .badRequest)
        #expect(try c.eventCount() == 1)
        #expect(c.events.subscriberCount == 0)
    }
}

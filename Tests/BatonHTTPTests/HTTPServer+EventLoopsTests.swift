import BatonTestSupport
import CLinux
import Foundation
import Synchronization
import Testing

@testable import BatonHTTP

/// Several event loops (SPEC §2.1, `server.event_loops`): connections dealt round-robin, each
/// served start to finish by its own loop, one connection cap per source over all loops, and a
/// shutdown that drains every loop.
@Suite struct HTTPServerEventLoopsTests {
    /// The name of the thread running the caller: a loop thread is `baton-http-N`.
    static func threadName() -> String {
        var buffer = [CChar](repeating: 0, count: 32)
        _ = pthread_getname_np(pthread_self(), &buffer, buffer.count)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Answers with the name of the thread its handler ran on.
    static let threadReporter = TestResponder { _ in .text(.ok, threadName()) }

    /// Opens `count` connections and asks each twice which thread served it; returns the
    /// clients (kept open) and, per connection, the two names.
    static func askThreads(port: Int, count: Int) async throws -> ([RawClient], [[String]]) {
        try await onThread {
            let clients = try (0..<count).map { _ in try RawClient(port: port) }
            var names: [[String]] = []
            for client in clients {
                var pair: [String] = []
                for _ in 0..<2 {
                    try client.send("GET /thread HTTP/1.1\r\nHost: t\r\n\r\n")
                    pair.append(try client.readResponse().text)
                }
                names.append(pair)
            }
            return (clients, names)
        }
    }

    @Test func connectionsAreDealtToEveryLoopAndServedOnTheirOwn() async throws {
        try await withServer({ $0.eventLoopCount = 2 }, responder: Self.threadReporter) { server, port in
            let (clients, names) = try await Self.askThreads(port: port, count: 4)
            // Every request of a connection ran on the same loop thread.
            for pair in names {
                #expect(pair[0].hasPrefix("baton-http-"))
                #expect(pair[0] == pair[1])
            }
            let perThread = Dictionary(grouping: names.map { $0[0] }, by: { $0 }).mapValues(\.count)
            #expect(perThread == ["baton-http-0": 2, "baton-http-1": 2])
            #expect(server.connectionsPerLoop == [2, 2])
            withExtendedLifetime(clients) {}
        }
    }

    @Test func oneLoopServesEveryConnectionOnOneThread() async throws {
        try await withServer({ $0.eventLoopCount = 1 }, responder: Self.threadReporter) { server, port in
            let (clients, names) = try await Self.askThreads(port: port, count: 3)
            #expect(names.flatMap { $0 } == Array(repeating: "baton-http-0", count: 6))
            #expect(server.connectionsPerLoop == [3])
            withExtendedLifetime(clients) {}
        }
    }

    /// A stream that suspends between writes keeps writing from its connection's loop.
    @Test func streamsStayOnTheirConnectionsLoop() async throws {
        let responder = TestResponder { _ in
            HTTPResponse(
                headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    for _ in 0..<3 {
                        try await writer.write(Array("data: \(Self.threadName())\n\n".utf8))
                        try await Task.sleep(for: .milliseconds(5))
                    }
                })
        }
        try await withServer({ $0.eventLoopCount = 2 }, responder: responder) { _, port in
            let streams = try await onThread {
                let clients = try (0..<2).map { _ in try RawClient(port: port) }
                return try clients.map { client in
                    try client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
                    _ = try client.readHead()
                    var chunks: [String] = []
                    while let chunk = try client.readChunk() { chunks.append(String(decoding: chunk, as: UTF8.self)) }
                    return chunks
                }
            }
            #expect(streams[0] == Array(repeating: "data: baton-http-0\n\n", count: 3))
            #expect(streams[1] == Array(repeating: "data: baton-http-1\n\n", count: 3))
        }
    }

    @Test func theSourceCapHoldsOverAllLoopsTogether() async throws {
        try await withServer({
            $0.eventLoopCount = 3
            $0.maxConnectionsPerSource = 4
        }) { server, port in
            var held = try await onThread {
                let clients = try (0..<4).map { _ in try RawClient(port: port, source: "127.0.0.1") }
                for client in clients {
                    try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                    #expect(try client.readResponse().status == 200)
                }
                return clients
            }
            // Four connections over three loops: no loop holds the cap's worth by itself.
            #expect(server.connectionsPerLoop == [2, 1, 1])
            #expect(server.connections(from: "127.0.0.1") == 4)
            let refused = try await onThread {
                let client = try RawClient(port: port, source: "127.0.0.1")
                try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                return try client.readResponse()
            }
            #expect(refused.status == 503)
            #expect(refused.text.contains("\"code\":\"too_many_connections\""))
            #expect(server.statistics.sourceRefusals == 1)
            #expect(try await getOK(port: port, source: "127.0.0.2").status == 200)
            // A connection closed on loop 1 frees a place that a connection on any loop can take.
            held.remove(at: 1)
            #expect(await eventually { server.connections(from: "127.0.0.1") == 3 })
            #expect(await eventually { server.connectionsPerLoop == [2, 0, 1] })
            #expect(try await getOK(port: port, source: "127.0.0.1").status == 200)
            #expect(server.statistics.sourceRefusals == 1)
            withExtendedLifetime(held) {}
            held.removeAll()
            #expect(await eventually { server.connections(from: "127.0.0.1") == 0 && server.activeConnections == 0 })
            #expect(server.connectionsPerLoop == [0, 0, 0])
        }
    }

    @Test func shutdownDrainsEveryLoop() async throws {
        let started = Atomic<Int>(0)
        let shutdownBegun = Atomic<Bool>(false)
        let responder = TestResponder { request in
            guard request.path == "/slow" else { return .text(.ok, "quick") }
            started.add(1, ordering: .relaxed)
            // Answers only once shutdown is under way: the shutdown must wait for it.
            _ = await eventually { shutdownBegun.load(ordering: .relaxed) }
            try? await Task.sleep(for: .milliseconds(100))
            return .text(.ok, "finished on \(Self.threadName())")
        }
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.eventLoopCount = 2
        let server = HTTPServer(configuration: configuration, responder: responder)
        let (_, port) = try server.start()
        // Connections 0 and 2 land on loop 0, 1 and 3 on loop 1: an idle one and a busy one each.
        let clients = try await onThread { try (0..<4).map { _ in try RawClient(port: port) } }
        #expect(await eventually { server.connectionsPerLoop == [2, 2] })
        let idle = [clients[0], clients[1]]
        for client in idle {
            try await onThread {
                try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try client.readResponse()
            }
        }
        let slow = [clients[2], clients[3]].map { client in
            Task {
                try await onThread {
                    try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
                    let response = try client.readResponse()
                    return (response, try client.waitForClose())
                }
            }
        }
        #expect(await eventually { started.load(ordering: .relaxed) == 2 })
        let stopping = Task {
            shutdownBegun.store(true, ordering: .relaxed)
            await server.shutdown()
        }
        for client in idle {
            #expect(try await onThread { try client.waitForClose() })
        }
        var texts: [String] = []
        for task in slow {
            let (response, closed) = try await task.value
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(closed)
            texts.append(response.text)
        }
        #expect(texts == ["finished on baton-http-0", "finished on baton-http-1"])
        await stopping.value
        #expect(server.connectionsPerLoop == [])
        #expect(server.activeConnections == 0)
        #expect(throws: RawClient.Failure.self) { try RawClient(port: port) }
    }

    /// A loop with nothing to time out sleeps until an event: no periodic wake-ups while idle
    /// (issue 22). A connection brings its deadline, and the loop wakes for it.
    @Test func anIdleLoopHasNoWakeUpDue() async throws {
        try await withServer({
            $0.eventLoopCount = 2
            $0.headerTimeout = .seconds(10)
            $0.idleTimeout = .seconds(30)
        }) { server, port in
            #expect(await server.sweepsDue() == [nil, nil])
            let client = try await onThread { try RawClient(port: port) }
            // Connected, no request yet: loop 0 must wake for the header timeout.
            #expect(await eventually { server.connectionsPerLoop == [1, 0] })
            let before = Socket.monotonicNow()
            let due = await server.sweepsDue()
            #expect(due[1] == nil)
            let header = try #require(due[0])
            #expect(header > before && header <= before + 10_000_000_000)
            try await onThread {
                try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try client.readResponse()
            }
            withExtendedLifetime(client) {}
        }
    }
}

import Testing

@testable import BatonHTTP

/// The libcurl client against Baton's own server and router on loopback: both ends real.
@Suite struct HTTPClientAgainstServerTests {
    static func withServer(
        maxBodyBytes: Int = 1 << 20, _ body: (HTTPClient, String) async throws -> Void
    ) async throws {
        let b = RouterBuilder()
        b.use(RequestIDMiddleware())
        ClientTestRoutes.register(on: b)
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.maxBodyBytes = maxBodyBytes
        let server = HTTPServer(configuration: configuration, responder: b.build())
        let bound = try server.start()
        let client = HTTPClient()
        do {
            try await body(client, "http://127.0.0.1:\(bound.port)")
        } catch {
            client.shutdown()
            await server.shutdown()
            throw error
        }
        client.shutdown()
        await server.shutdown()
    }

    @Test func postsABinaryBodyAndGetsItBack() async throws {
        try await Self.withServer { client, base in
            let payload = (0..<70_000).map { UInt8($0 % 251) }
            let response = try await client.execute(
                HTTPClientRequest(
                    method: .post, url: base + "/echo", headers: ["Content-Type": "application/octet-stream"],
                    body: payload))
            #expect(response.status == 201)
            #expect(response.body == payload)
            #expect(response.headers["Content-Type"] == "application/octet-stream")
            #expect(response.headers["X-Request-Id"]?.isEmpty == false)
        }
    }

    @Test func readsAChunkedStreamToTheEnd() async throws {
        try await Self.withServer { client, base in
            let response = try await client.execute(HTTPClientRequest(url: base + "/stream"))
            #expect(response.status == 200)
            #expect(response.text == "id: 1\ndata: n1\n\nid: 2\ndata: n2\n\nid: 3\ndata: n3\n\n")
        }
    }

    @Test func pathParametersAndQueriesArriveDecoded() async throws {
        try await Self.withServer { client, base in
            let response = try await client.execute(HTTPClientRequest(url: base + "/query/ENG%2D7?q=a+b%26c"))
            #expect(response.text == "ENG-7|a b&c")
        }
    }

    @Test func anOversizeBodyIs413AndTheServerKeepsServing() async throws {
        try await Self.withServer(maxBodyBytes: 1024) { client, base in
            let big = try await client.execute(
                HTTPClientRequest(method: .post, url: base + "/echo", body: [UInt8](repeating: 65, count: 4096)))
            #expect(big.status == 413)
            #expect(big.text.contains("\"code\""))
            let small = try await client.execute(
                HTTPClientRequest(method: .post, url: base + "/echo", body: [1, 2, 3]))
            #expect(small.status == 201)
            #expect(small.body == [1, 2, 3])
        }
    }

    @Test func routingErrorsComeBackAsJSON() async throws {
        try await Self.withServer { client, base in
            let missing = try await client.execute(HTTPClientRequest(url: base + "/nothing"))
            #expect(missing.status == 404)
            #expect(missing.text == #"{"error":"no route for GET /nothing","code":"not_found"}"#)
            let wrong = try await client.execute(HTTPClientRequest(method: .delete, url: base + "/echo"))
            #expect(wrong.status == 405)
            #expect(wrong.headers["Allow"] == "OPTIONS, POST")
        }
    }
}

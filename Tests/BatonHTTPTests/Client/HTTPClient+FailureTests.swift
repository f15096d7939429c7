import BatonHTTP
import BatonTestSupport
import Testing

/// Requests that fail, each with its typed error, and a client that keeps working afterwards.
@Suite struct HTTPClientFailureTests {
    @Test func timeoutIsPrompt() async throws {
        let base = try await HTTPFixture.baseURL()
        let (error, elapsed) = await timed {
            await failure(
                of: HTTPClientRequest(url: base + "/sleep?ms=3000", timeout: .milliseconds(300)))
        }
        #expect(error == .timedOut)
        #expect(elapsed < .seconds(2))
    }

    @Test func connectionRefused() async throws {
        let port = try HTTPFixture.closedPort()
        let error = await failure(of: HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
        guard case .couldNotConnect(let message) = error else {
            Issue.record("expected couldNotConnect, got \(String(describing: error))")
            return
        }
        #expect(!message.isEmpty)
    }

    @Test(arguments: [
        "", "not a url", "ftp://127.0.0.1/x", "http://exa mple.com/", "/relative", "http://",
    ])
    func invalidURL(_ url: String) async {
        #expect(await failure(of: HTTPClientRequest(url: url)) == .invalidURL(url))
    }

    @Test func headerInjectionRefused() async throws {
        let base = try await HTTPFixture.baseURL()
        let bad: [HTTPHeaders] = [["X-A": "ok\r\nInjected: 1"], ["Bad Name": "v"], ["": "v"]]
        for headers in bad {
            let error = await failure(of: HTTPClientRequest(url: base + "/echo", headers: headers))
            guard case .invalidRequest = error else {
                Issue.record(
                    "expected invalidRequest for \(headers.fields), got \(String(describing: error))")
                continue
            }
        }
        #expect(
            await failure(of: HTTPClientRequest(method: HTTPMethod("GET X"), url: base + "/echo")) != nil)
    }

    @Test(arguments: ["0", "1"])
    func responseTooLarge(chunked: String) async throws {
        let base = try await HTTPFixture.baseURL()
        let request = HTTPClientRequest(
            url: base + "/large?bytes=200000&chunked=" + chunked, maxResponseBytes: 1000)
        #expect(await failure(of: request) == .responseTooLarge(limit: 1000))
    }

    @Test func connectionClosedMidResponse() async throws {
        let base = try await HTTPFixture.baseURL()
        let error = await failure(of: HTTPClientRequest(url: base + "/close"))
        guard case .transport(let code, _) = error else {
            Issue.record("expected transport, got \(String(describing: error))")
            return
        }
        #expect(code == 18)  // CURLE_PARTIAL_FILE
    }

    @Test func cancellationIsPrompt() async throws {
        let base = try await HTTPFixture.baseURL()
        let tag = HTTPFixture.newTag()
        let task = Task { await failure(of: HTTPClientRequest(url: base + "/sleep?ms=5000&tag=" + tag)) }
        // Cancelled in flight: the fixture holds the request.
        #expect(await eventually { await HTTPFixture.arrived(tag) == 1 })
        let (error, elapsed) = await timed {
            task.cancel()
            return await task.value
        }
        #expect(error == .cancelled)
        #expect(elapsed < .seconds(1))
    }

    @Test func alreadyCancelledTaskFailsAtOnce() async throws {
        let base = try await HTTPFixture.baseURL()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await failure(of: HTTPClientRequest(url: base + "/sleep?ms=5000"))
        }
        let (error, elapsed) = await timed { await task.value }
        #expect(error == .cancelled)
        #expect(elapsed < .seconds(1))
    }

    @Test func clientKeepsWorkingAfterErrors() async throws {
        let base = try await HTTPFixture.baseURL()
        let client = HTTPClient()
        defer { client.shutdown() }
        let port = try HTTPFixture.closedPort()
        #expect(
            await failure(
                of: HTTPClientRequest(url: base + "/sleep?ms=2000", timeout: .milliseconds(200)),
                client: client)
                == .timedOut)
        #expect(
            await failure(of: HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), client: client) != nil)
        #expect(
            await failure(
                of: HTTPClientRequest(url: base + "/large?bytes=5000", maxResponseBytes: 10), client: client
            )
                == .responseTooLarge(limit: 10))
        #expect(await failure(of: HTTPClientRequest(url: base + "/close"), client: client) != nil)
        let tag = HTTPFixture.newTag()
        let cancelled = Task {
            await failure(of: HTTPClientRequest(url: base + "/sleep?ms=3000&tag=" + tag), client: client)
        }
        #expect(await eventually { await HTTPFixture.arrived(tag) == 1 })
        cancelled.cancel()
        #expect(await cancelled.value == .cancelled)

        let echo = try Echo(
            try await client.execute(
                HTTPClientRequest(method: .post, url: base + "/echo", body: [1, 2, 3])))
        #expect(echo.body == [1, 2, 3])
    }

    @Test func shutdownFailsInFlightAndLaterRequests() async throws {
        let base = try await HTTPFixture.baseURL()
        let client = HTTPClient()
        let tag = HTTPFixture.newTag()
        let inFlight = Task {
            await failure(of: HTTPClientRequest(url: base + "/sleep?ms=3000&tag=" + tag), client: client)
        }
        #expect(await eventually { await HTTPFixture.arrived(tag) == 1 })
        client.shutdown()
        #expect(await inFlight.value == .cancelled)
        #expect(await failure(of: HTTPClientRequest(url: base + "/echo"), client: client) == .cancelled)
    }
}

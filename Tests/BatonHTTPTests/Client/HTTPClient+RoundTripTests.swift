import BatonHTTP
import Testing

/// Requests against the loopback fixture server that succeed.
@Suite struct HTTPClientRoundTripTests {
    let client = HTTPClient.shared

    @Test func getWithHeaders() async throws {
        let base = try await HTTPFixture.baseURL()
        let response = try await client.execute(
            HTTPClientRequest(url: base + "/echo?x=1&y=%20", headers: ["X-Test": "abc", "X-Empty": ""]))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        let echo = try Echo(response)
        #expect(echo.method == "GET")
        #expect(echo.path == "/echo?x=1&y=%20")
        #expect(echo.header("X-Test") == "abc")
        #expect(echo.header("X-Empty") == "")
        #expect(echo.header("Accept-Encoding") == nil)
        #expect(echo.header("Expect") == nil)
        #expect(echo.body.isEmpty)
    }

    @Test(arguments: [HTTPMethod.post, .put, .patch, .delete])
    func binaryBodyRoundTrip(_ method: HTTPMethod) async throws {
        let base = try await HTTPFixture.baseURL()
        // Every byte value, and over 1 KiB so libcurl would otherwise add `Expect: 100-continue`.
        let body = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let response = try await client.execute(
            HTTPClientRequest(
                method: method, url: base + "/echo",
                headers: ["Content-Type": "application/octet-stream", "X-Method": method.rawValue],
                body: body))
        let echo = try Echo(response)
        #expect(echo.method == method.rawValue)
        #expect(echo.body == body)
        #expect(echo.header("Content-Length") == "4096")
        #expect(echo.header("Content-Type") == "application/octet-stream")
        #expect(echo.header("X-Method") == method.rawValue)
        #expect(echo.header("Expect") == nil)
    }

    @Test func emptyPostSendsZeroLengthAndNoInventedContentType() async throws {
        let base = try await HTTPFixture.baseURL()
        let echo = try Echo(
            try await client.execute(HTTPClientRequest(method: .post, url: base + "/echo")))
        #expect(echo.method == "POST")
        #expect(echo.header("Content-Length") == "0")
        #expect(echo.header("Content-Type") == nil)
    }

    @Test func deleteWithoutBody() async throws {
        let base = try await HTTPFixture.baseURL()
        let echo = try Echo(
            try await client.execute(HTTPClientRequest(method: .delete, url: base + "/echo")))
        #expect(echo.method == "DELETE")
        #expect(echo.body.isEmpty)
    }

    @Test func headHasNoBody() async throws {
        let base = try await HTTPFixture.baseURL()
        let response = try await client.execute(
            HTTPClientRequest(method: .head, url: base + "/status/200"))
        #expect(response.status == 200)
        #expect(response.headers["Content-Length"] == "10")
        #expect(response.body.isEmpty)
    }

    @Test(arguments: [201, 204, 400, 404, 418, 500, 503])
    func statusCodesAreReturnedNotThrown(_ code: Int) async throws {
        let base = try await HTTPFixture.baseURL()
        let response = try await client.execute(HTTPClientRequest(url: base + "/status/\(code)"))
        #expect(response.status == code)
        #expect(response.text == (code == 204 ? "" : "status \(code)"))
    }

    @Test func redirectsAreNotFollowed() async throws {
        let base = try await HTTPFixture.baseURL()
        let response = try await client.execute(HTTPClientRequest(url: base + "/redirect"))
        #expect(response.status == 302)
        #expect(response.headers["Location"] == "/echo")
        #expect(response.text == "moved")
    }

    @Test func duplicateResponseHeadersKeptAndValuesTrimmed() async throws {
        let base = try await HTTPFixture.baseURL()
        let response = try await client.execute(HTTPClientRequest(url: base + "/headers"))
        #expect(response.headers.values(for: "set-cookie") == ["a=1", "b=2"])
        #expect(response.headers["X-Custom"] == "spaced value")
    }

    @Test func onlyTheFinalResponsesHeadersAreKept() async throws {
        let base = try await HTTPFixture.baseURL()
        let response = try await client.execute(HTTPClientRequest(url: base + "/continue"))
        #expect(response.status == 200)
        #expect(response.headers["X-Final"] == "yes")
        #expect(response.headers["X-Interim"] == nil)
        #expect(response.text == "final")
    }

    @Test func bodyExactlyAtTheLimitIsAccepted() async throws {
        let base = try await HTTPFixture.baseURL()
        for chunked in ["0", "1"] {
            let response = try await client.execute(
                HTTPClientRequest(
                    url: base + "/large?bytes=70000&chunked=" + chunked, maxResponseBytes: 70000))
            #expect(response.body.count == 70000)
        }
    }
}

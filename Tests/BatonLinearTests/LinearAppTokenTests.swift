import BatonHTTP
import BatonJSON
import BatonTestSupport
import Synchronization
import Testing

@testable import BatonLinear

/// The client credentials grant against a loopback token endpoint: the form Baton sends, the
/// token kept until a tenth of its lifetime is left, one request for concurrent callers, a token
/// Linear refuses asked for again, and answers that are not a token refused.
@Suite struct LinearAppTokenTests {
    /// Plays Linear's `POST /oauth/token`, answering the scripted bodies in turn (the last repeats).
    final class TokenEndpoint: HTTPResponder, Sendable {
        let answers: Mutex<[(Int, String)]>
        let forms = Mutex<[[String: String]]>([])
        let loopback = LoopbackServer()

        init(_ answers: [(Int, String)]) { self.answers = Mutex(answers) }

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            var form: [String: String] = [:]
            for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                form[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            form["content-type"] = request.headers["Content-Type"]
            forms.withLock { $0.append(form) }
            let (status, body) = answers.withLock { a in a.count > 1 ? a.removeFirst() : a[0] }
            return .json(HTTPStatus(code: status), body)
        }

        func start() throws -> String { try loopback.start(self) + "/oauth/token" }
        func stop() async { await loopback.stop() }
        var count: Int { forms.withLock { $0.count } }
    }

    /// A manual clock (ms).
    final class Clock: Sendable {
        let ms: Mutex<Int64>
        init(_ ms: Int64) { self.ms = Mutex(ms) }
        func advance(_ by: Int64) { ms.withLock { $0 += by } }
    }

    static func token(_ url: String, clock: Clock? = nil) -> LinearAppToken {
        var now: (@Sendable () -> Int64)?
        if let clock { now = { clock.ms.withLock { $0 } } }
        return LinearAppToken(
            settings: .init(tokenURL: url, clientID: "client-1", scopes: ["read", "write", "app:assignable"]),
            now: now, clientSecret: { "s3cret&=" })
    }

    @Test func theTokenIsAskedForOnceAndRenewedBeforeItEnds() async throws {
        let endpoint = TokenEndpoint([
            (200, #"{"access_token":"tok-1","token_type":"Bearer","expires_in":1000,"scope":"read,write"}"#),
            (200, #"{"access_token":"tok-2","token_type":"Bearer","expires_in":1000}"#),
        ])
        let url = try endpoint.start()
        defer { Task { await endpoint.stop() } }
        let clock = Clock(1_000_000)
        let token = Self.token(url, clock: clock)
        // Concurrent callers share one request.
        async let a = token.token()
        async let b = token.token()
        #expect(try await [a, b] == ["tok-1", "tok-1"])
        #expect(endpoint.count == 1)
        let form = try #require(endpoint.forms.withLock { $0.first })
        #expect(form["grant_type"] == "client_credentials" && form["client_id"] == "client-1")
        #expect(form["client_secret"] == "s3cret%26%3D" && form["scope"] == "read%2Cwrite%2Capp%3Aassignable")
        #expect(form["content-type"] == "application/x-www-form-urlencoded")
        // Kept while more than a tenth of its 1000 s is left; renewed after.
        clock.advance(899_000)
        #expect(try await token.token() == "tok-1" && endpoint.count == 1)
        clock.advance(2_000)
        #expect(try await token.token() == "tok-2" && endpoint.count == 2)
    }

    /// Linear refusing the token (revoked early): the client says so, and the next call asks again.
    @Test func aTokenLinearRefusesIsAskedForAgain() async throws {
        let endpoint = TokenEndpoint([
            (200, #"{"access_token":"revoked-token","token_type":"Bearer","expires_in":2592000}"#),
            (200, #"{"access_token":"\#(FakeLinear.appToken)","token_type":"Bearer","expires_in":2592000}"#),
        ])
        let url = try endpoint.start()
        defer { Task { await endpoint.stop() } }
        let linear = FakeLinear()
        let graphql = try linear.start()
        defer { Task { await linear.stop() } }
        let token = Self.token(url)
        let client = LinearClient(
            endpoint: graphql, onUnauthorized: { token.invalidate() }, apiKey: { "Bearer " + (try await token.token()) }
        )
        let tracker = LinearTracker(client: client, filter: .init())
        await #expect(throws: LinearError.self) { try await tracker.viewer() }
        #expect(try await tracker.viewer().id == "baton-app-user")
        #expect(endpoint.count == 2)
        #expect(linear.recorded.map(\.authorization) == ["Bearer revoked-token", "Bearer " + FakeLinear.appToken])
    }

    /// A 403 or FORBIDDEN is a permission the token lacks: it is kept (a new one would lack it
    /// too); only a refused token (401, AUTHENTICATION_ERROR) is let go.
    @Test func aForbiddenAnswerKeepsTheToken() async throws {
        let graphql = TokenEndpoint([
            (403, #"{"errors":[{"message":"Forbidden","extensions":{"code":"FORBIDDEN"}}]}"#),
            (200, #"{"errors":[{"message":"not allowed","extensions":{"code":"FORBIDDEN"}}]}"#),
            (401, #"{"errors":[{"message":"bad token","extensions":{"code":"AUTHENTICATION_ERROR"}}]}"#),
        ])
        let url = try graphql.start()
        defer { Task { await graphql.stop() } }
        let dropped = Mutex(0)
        let client = LinearClient(
            endpoint: url, onUnauthorized: { dropped.withLock { $0 += 1 } }, apiKey: { "Bearer t" })
        for _ in 0..<2 {
            await #expect(throws: LinearError.self) { try await client.execute("query BatonViewer { viewer { id } }") }
        }
        #expect(dropped.withLock { $0 } == 0)
        await #expect(throws: LinearError.self) { try await client.execute("query BatonViewer { viewer { id } }") }
        #expect(dropped.withLock { $0 } == 1)
    }

    @Test(arguments: [
        (400, #"{"error":"invalid_client","error_description":"Client authentication failed"}"#, "unauthorized"),
        (200, #"{"token_type":"Bearer","expires_in":10}"#, "malformed"),
        (200, #"{"access_token":"","token_type":"Bearer"}"#, "malformed"),
        (200, #"{"access_token":"a b","token_type":"Bearer"}"#, "malformed"),
        (200, #"{"access_token":"t","token_type":"mac"}"#, "malformed"),
        (200, #"{"access_token":"t","token_type":"Bearer","expires_in":-5}"#, "malformed"),
        (200, #"{"access_token":"t","token_type":"Bearer","expires_in":1e300}"#, "malformed"),
        (200, #"{"access_token":"t","token_type":"Bearer","expires_in":"soon"}"#, "malformed"),
        (200, "not json", "malformed"),
        (503, "busy", "http"),
    ])
    func answersThatAreNotATokenAreRefused(status: Int, body: String, kind: String) async throws {
        let endpoint = TokenEndpoint([(status, body)])
        let url = try endpoint.start()
        defer { Task { await endpoint.stop() } }
        do {
            _ = try await Self.token(url).token()
            Issue.record("a token from \(body)")
        } catch let error as LinearError {
            switch (error, kind) {
            case (.unauthorized(let m), "unauthorized"): #expect(m.contains("Client authentication failed"))
            case (.malformed, "malformed"), (.http(503, _), "http"): break
            default: Issue.record("\(error) for \(body)")
            }
        }
    }

    @Test func formValuesArePercentEncoded() {
        #expect(LinearAppToken.formEncode("a b&c=ü~._-") == "a%20b%26c%3D%C3%BC~._-")
    }
}

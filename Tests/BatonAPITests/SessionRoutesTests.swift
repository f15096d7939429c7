import BatonCore
import BatonHTTP
import BatonJSON
import BatonTestSupport
import Testing

@testable import BatonAPI

/// Dashboard sign-in (SPEC §2.12): a key becomes a strict, script-proof cookie; changes through it
/// need the CSRF token; the session ends with its key, on sign-out, and never for a worker.
@Suite struct SessionRoutesTests {
    static let json: HTTPHeaders = ["Content-Type": "application/json"]

    /// Signs in with `key` and returns the cookie header value and the CSRF token.
    static func signIn(_ c: TestCoordinator, key: String) async throws -> (cookie: String, csrf: String) {
        let response = await c.request(
            .post, "/api/v1/session", headers: Self.json, body: #"{"key":"\#(key)"}"#, anonymous: true)
        #expect(response.status == .created, "\(response.bodyText)")
        let setCookie = try #require(response.headers["Set-Cookie"])
        let pair = try #require(setCookie.split(separator: ";").first.map(String.init))
        let csrf = try #require(response.json["csrf_token"]?.stringValue)
        return (pair, csrf)
    }

    static func sessionRows(_ c: TestCoordinator) throws -> Int {
        try c.database.readBlocking { try $0.scalar("SELECT count(*) FROM sessions")?.intValue ?? -1 }
    }

    static func jobRows(_ c: TestCoordinator) throws -> Int {
        try c.database.readBlocking { try $0.scalar("SELECT count(*) FROM jobs")?.intValue ?? -1 }
    }

    @Test func signingInSetsAStrictHttpOnlyCookieThatAuthenticatesReads() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let key = try c.makeKey(.viewer, name: "watcher")
        let response = await c.request(
            .post, "/api/v1/session", headers: Self.json, body: #"{"key":"\#(key)"}"#, anonymous: true)
        #expect(response.status == .created)
        let cookie = try #require(response.headers["Set-Cookie"])
        #expect(cookie.hasPrefix("baton_session="))
        for attribute in ["Path=/", "Max-Age=43200", "HttpOnly", "SameSite=Strict"] {
            #expect(cookie.contains("; \(attribute)"), "\(cookie)")
        }
        #expect(!cookie.contains("Secure"))
        #expect(response.json["role"] == "viewer" && response.json["name"] == "watcher")
        #expect(response.json["csrf_token"]?.stringValue?.utf8.count == 64)
        // The key itself is in no audit entry.
        let audit = try c.database.readBlocking {
            try $0.query("SELECT diff FROM audit").compactMap { $0.string("diff") }
        }
        #expect(!audit.joined().contains(key))

        let pair = String(cookie.split(separator: ";")[0])
        let jobs = await c.request(.get, "/api/jobs", headers: ["Cookie": "theme=dark; \(pair)"], anonymous: true)
        #expect(jobs.status == .ok, "\(jobs.bodyText)")
        let me = await c.request(.get, "/api/v1/session", headers: ["Cookie": pair], anonymous: true)
        #expect(me.json["csrf_token"] == response.json["csrf_token"])
        // An Authorization header wins over the cookie: a bad one is refused whatever the cookie.
        let both = await c.request(.get, "/api/jobs", headers: ["Cookie": pair, "Authorization": "Bearer nope"])
        #expect(both.status == .unauthorized)
        // Without either, as before.
        #expect(await c.request(.get, "/api/jobs", anonymous: true).status == .unauthorized)
    }

    @Test func aChangeThroughTheCookieNeedsTheCSRFToken() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (cookie, csrf) = try await Self.signIn(c, key: try c.makeKey(.operator))
        let job = #"{"prompt":"p","provider":"dry-run"}"#
        for headers: HTTPHeaders in [
            ["Cookie": cookie, "Content-Type": "application/json"],
            ["Cookie": cookie, "Content-Type": "application/json", "X-CSRF-Token": ""],
            ["Cookie": cookie, "Content-Type": "application/json", "X-CSRF-Token": String(repeating: "0", count: 64)],
            ["Cookie": cookie, "Content-Type": "application/json", "X-CSRF-Token": csrf + "0"],
        ] {
            let forged = await c.request(.post, "/api/jobs", headers: headers, body: job, anonymous: true)
            #expect(forged.status == .forbidden, "\(forged.bodyText)")
            #expect(forged.bodyText.contains("X-CSRF-Token"))
        }
        #expect(try Self.jobRows(c) == 0)
        // The same request with the session's token goes through: the token is what was missing.
        let made = await c.request(
            .post, "/api/jobs", headers: ["Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"],
            body: job, anonymous: true)
        #expect(made.status == .created, "\(made.bodyText)")
        #expect(try Self.jobRows(c) == 1)
    }

    @Test func aViewersSessionCannotChangeAnything() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (cookie, csrf) = try await Self.signIn(c, key: try c.makeKey(.viewer))
        let refused = await c.request(
            .post, "/api/jobs", headers: ["Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"],
            body: #"{"prompt":"p","provider":"dry-run"}"#, anonymous: true)
        #expect(refused.status == .forbidden)
        #expect(refused.bodyText.contains("operator"))
        #expect(try Self.jobRows(c) == 0)
    }

    @Test func revokingTheKeyEndsItsSessions() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let key = try c.makeKey(.operator)
        let (cookie, _) = try await Self.signIn(c, key: key)
        #expect(await c.request(.get, "/api/jobs", headers: ["Cookie": cookie], anonymous: true).status == .ok)
        let id = try #require(APIKeyToken(parsing: key)?.id)
        #expect(await c.request(.delete, "/api/v1/keys/\(id)").status == .noContent)
        let after = await c.request(.get, "/api/jobs", headers: ["Cookie": cookie], anonymous: true)
        #expect(after.status == .unauthorized)
        #expect(after.bodyText.contains("sign in again"))
    }

    @Test func signingOutEndsTheSession() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (cookie, csrf) = try await Self.signIn(c, key: try c.makeKey(.viewer))
        // Signing out is a change too: without the token it is refused and the session lives on.
        #expect(
            await c.request(.delete, "/api/v1/session", headers: ["Cookie": cookie], anonymous: true).status
                == .forbidden)
        #expect(await c.request(.get, "/api/jobs", headers: ["Cookie": cookie], anonymous: true).status == .ok)
        let out = await c.request(
            .delete, "/api/v1/session", headers: ["Cookie": cookie, "X-CSRF-Token": csrf], anonymous: true)
        #expect(out.status == .noContent)
        let cleared = try #require(out.headers["Set-Cookie"])
        #expect(cleared.hasPrefix("baton_session=;") && cleared.contains("Max-Age=0"))
        #expect(
            await c.request(.get, "/api/jobs", headers: ["Cookie": cookie], anonymous: true).status == .unauthorized)
        #expect(try Self.sessionRows(c) == 0)
        // A key is not a session: there is nothing to end or show (and without the header the
        // sign-out is a bad request before anything is looked at, as the document says).
        #expect(await c.request(.delete, "/api/v1/session").status == .badRequest)
        #expect(await c.request(.delete, "/api/v1/session", headers: ["X-CSRF-Token": "x"]).status == .notFound)
        #expect(await c.request(.get, "/api/v1/session").status == .notFound)
    }

    @Test(arguments: [
        ("{", 400), (#"{"key":"x","extra":1}"#, 400), (#"{"key":7}"#, 400), ("{}", 400),
        (#"{"key":"bt_nope"}"#, 401), (#"{"key":"\#(String(repeating: "a", count: 5000))"}"#, 401),
    ])
    func badSignInsMakeNoSession(body: String, status: Int) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(.post, "/api/v1/session", headers: Self.json, body: body, anonymous: true)
        #expect(response.status.code == status, "\(response.bodyText)")
        #expect(response.headers["Set-Cookie"] == nil)
        #expect(try Self.sessionRows(c) == 0)
    }

    /// Sign-in presents a key in its body: wrong keys take from the source's anonymous bucket like
    /// wrong keys in headers, so keys cannot be tried faster there.
    @Test func signInAttemptsAreLimitedPerSource() async throws {
        let c = try await TestCoordinator.make(rateLimiter: RateLimiter(limits: .init(perMinute: ["anonymous": 3])))
        defer { c.close() }
        var statuses: [Int] = []
        for _ in 0..<5 {
            let response = await c.request(
                .post, "/api/v1/session", headers: Self.json, body: #"{"key":"bt_aaaaaaaa_wrong"}"#, anonymous: true)
            statuses.append(Int(response.status.code))
        }
        #expect(statuses == [401, 401, 401, 429, 429])
        #expect(try Self.sessionRows(c) == 0)
    }

    @Test func aWorkerKeyCannotSignIn() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let key = try c.makeKey(.worker, name: "w1")
        let response = await c.request(
            .post, "/api/v1/session", headers: Self.json, body: #"{"key":"\#(key)"}"#, anonymous: true)
        #expect(response.status == .forbidden)
        #expect(try Self.sessionRows(c) == 0)
    }

    @Test func behindTLSTheCookieIsSecure() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(
            .post, "/api/v1/session", headers: ["X-Forwarded-Proto": "https", "Content-Type": "application/json"],
            body: #"{"key":"\#(try c.makeKey(.viewer))"}"#, anonymous: true)
        #expect(response.headers["Set-Cookie"]?.hasSuffix("; Secure") == true)
    }

    /// `EventSource` cannot send an Authorization header: the cookie opens the stream, and
    /// signing out ends it.
    @Test func theCookieOpensTheEventStreamAndSigningOutEndsIt() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let (cookie, csrf) = try await Self.signIn(c, key: try c.makeKey(.viewer))
        let connection = try RawConnection(port: port)
        try connection.send(
            "GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nCookie: \(cookie)\r\n\r\n")
        #expect(await connection.awaitText { $0.contains(": subscribed") })
        #expect(connection.text.hasPrefix("HTTP/1.1 200"))
        let event = try await c.events.publish(EventDraft(type: "test.hello", tenant: "default", data: "{}"))
        #expect(await connection.awaitText { $0.contains("id: \(event.id)\n") })
        let out = await c.request(
            .delete, "/api/v1/session", headers: ["Cookie": cookie, "X-CSRF-Token": csrf], anonymous: true)
        #expect(out.status == .noContent)
        // The chunked body's last chunk: the server ended the stream.
        #expect(await connection.awaitText { $0.hasSuffix("0\r\n\r\n") })
        await server.shutdown()
    }

    @Test func anUnknownOrMalformedCookieIsRefused() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        for cookie in [
            "baton_session=" + String(repeating: "a", count: 64), "baton_session=short", "baton_session=",
            "baton_session=" + String(repeating: "a", count: 500),
        ] {
            let response = await c.request(.get, "/api/jobs", headers: ["Cookie": cookie], anonymous: true)
            #expect(response.status == .unauthorized, "\(cookie)")
        }
    }
}

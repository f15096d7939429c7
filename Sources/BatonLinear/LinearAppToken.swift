import BatonCore
import BatonHTTP
import BatonJSON
import BatonWorkerProtocol
import Synchronization

/// The app's access token from Linear's OAuth client credentials grant (SPEC §9.15), where the
/// app has client credentials tokens enabled: `actor=app` by nature, valid 30 days, no refresh
/// token, so a new one is asked for before the old one expires, or at once after Linear refused
/// it. One request at a time: callers that find it missing wait for the same answer.
public final class LinearAppToken: Sendable {
    public struct Settings: Sendable, Equatable {
        public var tokenURL: String
        public var clientID: String
        public var scopes: [String]

        public init(tokenURL: String, clientID: String, scopes: [String]) {
            self.tokenURL = tokenURL
            self.clientID = clientID
            self.scopes = scopes
        }
    }

    struct Held {
        var token: String?
        /// When to ask for a new one (ms): a tenth of its lifetime before it ends.
        var renewAtMs: Int64 = 0
        var fetching: Task<(String, Int64), any Error>?
    }

    let settings: Settings
    let clientSecret: @Sendable () async throws -> String
    let http: HTTPClient
    let now: @Sendable () -> Int64
    let held = Mutex(Held())

    /// The longest lifetime believed (Linear's client credentials tokens last 30 days).
    public static let maxLifetimeMs: Int64 = 30 * 86_400_000

    public init(
        settings: Settings, http: HTTPClient = .shared, now: (@Sendable () -> Int64)? = nil,
        clientSecret: @escaping @Sendable () async throws -> String
    ) {
        self.settings = settings
        self.http = http
        self.now = now ?? { Timestamp.nowMilliseconds() }
        self.clientSecret = clientSecret
    }

    /// A token to send as `Authorization: Bearer <token>`.
    public func token() async throws -> String {
        let nowMs = now()
        let (cached, task): (String?, Task<(String, Int64), any Error>?) = held.withLock { h in
            if let token = h.token, nowMs < h.renewAtMs { return (token, nil) }
            if let fetching = h.fetching { return (nil, fetching) }
            let fetching = Task { try await self.fetch() }
            h.fetching = fetching
            return (nil, fetching)
        }
        if let cached { return cached }
        guard let task else { throw LinearError.unauthorized("no token") }
        do {
            let (token, renewAt) = try await task.value
            held.withLock { h in
                if h.token != token {
                    h.token = token
                    h.renewAtMs = renewAt
                }
                h.fetching = nil
            }
            return token
        } catch {
            held.withLock { $0.fetching = nil }
            throw error
        }
    }

    /// Linear refused the token (revoked or replaced before it expired): the next call asks anew.
    public func invalidate() { held.withLock { $0 = Held() } }

    /// One token request (RFC 6749 §4.4): the form `grant_type=client_credentials`, the client's
    /// id and secret and the scopes (comma-separated, as Linear takes them).
    func fetch() async throws -> (String, Int64) {
        let secret = try await clientSecret()
        guard !secret.isEmpty else { throw LinearError.unauthorized("no client secret (tracker.agent.client_secret)") }
        let form = [
            ("grant_type", "client_credentials"), ("client_id", settings.clientID), ("client_secret", secret),
            ("scope", settings.scopes.joined(separator: ",")),
        ].map { Self.formEncode($0.0) + "=" + Self.formEncode($0.1) }.joined(separator: "&")
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/x-www-form-urlencoded")
        headers.add("Accept", "application/json")
        headers.add("User-Agent", "baton/\(BatonVersion.current)")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(
                HTTPClientRequest(
                    method: .post, url: settings.tokenURL, headers: headers, body: Array(form.utf8),
                    timeout: .seconds(30), maxResponseBytes: 1 << 20))
        } catch {
            throw LinearError.transport("\(error)")
        }
        let answer = try? JSONParser.parse(response.body)
        guard (200..<300).contains(response.status) else {
            let reason = answer?["error_description"]?.stringValue ?? answer?["error"]?.stringValue ?? ""
            if response.status == 400 || response.status == 401 || response.status == 403 {
                throw LinearError.unauthorized("the token endpoint refused the client credentials: \(reason)")
            }
            throw LinearError.http(response.status, String(reason.prefix(300)))
        }
        return try Self.read(answer, now: now())
    }

    /// The token and when to renew it, from `{access_token, token_type, expires_in}`: a bearer
    /// token, its lifetime a whole number of seconds (at most 30 days believed; none given is
    /// taken as a day).
    static func read(_ answer: JSONValue?, now: Int64) throws -> (String, Int64) {
        guard let token = answer?["access_token"]?.stringValue, !token.isEmpty, token.utf8.count <= 4096,
            !token.contains(where: { $0.isWhitespace || $0.isNewline })
        else {
            throw LinearError.malformed("the token endpoint's answer has no access_token")
        }
        if let type = answer?["token_type"]?.stringValue, type.lowercased() != "bearer" {
            throw LinearError.malformed("the token endpoint answered a \(type) token, not a bearer token")
        }
        var lifetimeMs: Int64 = 86_400_000
        if let given = answer?["expires_in"], given != .null {
            guard let seconds = given.doubleValue, seconds > 0, let whole = Int64(exactly: seconds.rounded(.down))
            else {
                throw LinearError.malformed("expires_in must be a positive number of seconds")
            }
            lifetimeMs = min(max(whole, 1), maxLifetimeMs / 1000) * 1000
        }
        return (token, now.addingSaturating(lifetimeMs - lifetimeMs / 10))
    }

    /// `application/x-www-form-urlencoded`: unreserved characters as they are, every other byte
    /// of the UTF-8 percent-encoded.
    static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 0x0F)])
            }
        }
        return out
    }
}

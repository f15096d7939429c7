import BatonCore
import BatonHTTP
import BatonJSON
import BatonWorkerProtocol
import Synchronization

/// Why a Linear call failed, classified so the caller knows whether to wait, fix the key or give up.
public enum LinearError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `RATELIMITED` (or HTTP 429): wait until `resetAtMs` (Linear's reset header, epoch ms) when known.
    case rateLimited(resetAtMs: Int64?)
    /// 401/403 or an authentication error: the API key is missing, wrong or lacks access.
    case unauthorized(String)
    /// GraphQL errors in the answer (a bad query, an unknown id, …).
    case graphQL([String])
    /// Another HTTP status.
    case http(Int, String)
    /// No answer: connection refused, timeout, TLS.
    case transport(String)
    /// An answer that is not what Linear sends.
    case malformed(String)

    public var description: String {
        switch self {
        case .rateLimited(let reset):
            "Linear rate limit reached" + (reset.map { " (resets at \(Timestamp.format(milliseconds: $0)))" } ?? "")
        case .unauthorized(let m): "Linear refused the API key: \(m)"
        case .graphQL(let messages): "Linear answered with errors: \(messages.joined(separator: "; "))"
        case .http(let status, let body): "Linear answered HTTP \(status): \(body)"
        case .transport(let m): "Linear is unreachable: \(m)"
        case .malformed(let m): "Linear's answer is malformed: \(m)"
        }
    }
}

/// Linear's GraphQL endpoint over the libcurl client: `Authorization: <key>` (a personal API key
/// is sent as it is), the rate-limit headers remembered, and no request sent while the window is
/// known to be spent.
public final class LinearClient: Sendable {
    public struct RateLimit: Sendable, Equatable {
        public var limit: Int?
        public var remaining: Int?
        public var resetAtMs: Int64?
    }

    let endpoint: String
    let apiKey: @Sendable () async throws -> String
    let http: HTTPClient
    let now: @Sendable () -> Int64
    let rateLimitState = Mutex(RateLimit())
    let requests: CounterFamily?
    let durations: HistogramFamily?
    /// Told when Linear refuses the credentials (an OAuth token it revoked or replaced).
    let onUnauthorized: (@Sendable () -> Void)?

    public init(
        endpoint: String, http: HTTPClient = .shared, now: @escaping @Sendable () -> Int64 = Timestamp.nowMilliseconds,
        metrics: MetricsRegistry? = nil, onUnauthorized: (@Sendable () -> Void)? = nil,
        apiKey: @escaping @Sendable () async throws -> String
    ) {
        self.onUnauthorized = onUnauthorized
        self.endpoint = endpoint
        self.http = http
        self.now = now
        self.apiKey = apiKey
        requests = try? metrics?.counter(
            name: "baton_linear_requests_total", help: "Linear GraphQL calls by operation and outcome.",
            labelNames: ["operation", "outcome"])
        durations = try? metrics?.histogram(
            name: "baton_linear_request_duration_seconds", help: "Time a Linear GraphQL call took.",
            labelNames: ["operation"])
        try? metrics?.callbackGauge(
            name: "baton_linear_rate_limit_remaining", help: "Requests Linear's rate limit still allows (-1 unknown)."
        ) { [weak self] in Double(self?.rateLimit.remaining ?? -1) }
    }

    public var rateLimit: RateLimit { rateLimitState.withLock { $0 } }

    /// Runs one operation; returns its `data`. Counted by operation name and outcome.
    public func execute(_ query: String, variables: JSONValue = [:]) async throws(LinearError) -> JSONValue {
        let operation = Self.operationName(query)
        let started = ContinuousClock.now
        do {
            let data = try await send(query, variables: variables)
            record(operation, "ok", since: started)
            return data
        } catch {
            let outcome =
                switch error {
                case .rateLimited: "rate_limited"
                case .unauthorized: "unauthorized"
                case .graphQL: "graphql_error"
                case .http: "http_error"
                case .transport: "transport_error"
                case .malformed: "malformed"
                }
            record(operation, outcome, since: started)
            throw error
        }
    }

    func record(_ operation: String, _ outcome: String, since started: ContinuousClock.Instant) {
        requests?.labels(operation, outcome).inc()
        let elapsed = ContinuousClock.now - started
        durations?.labels(operation).observe(
            Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// `query BatonIssues(…)` → `BatonIssues` (`anonymous` without a name).
    static func operationName(_ query: String) -> String {
        let words = query.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" })
        guard let index = words.firstIndex(where: { $0 == "query" || $0 == "mutation" }), index + 1 < words.count else {
            return "anonymous"
        }
        return String(words[index + 1])
    }

    func send(_ query: String, variables: JSONValue) async throws(LinearError) -> JSONValue {
        let limit = rateLimit
        if limit.remaining == 0, let reset = limit.resetAtMs, reset > now() {
            throw .rateLimited(resetAtMs: reset)
        }
        let key: String
        do {
            key = try await apiKey()
        } catch {
            throw .unauthorized("no API key: \(error)")
        }
        guard !key.isEmpty else { throw .unauthorized("no API key is configured (tracker.api_key)") }
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        headers.add("Authorization", key)
        headers.add("User-Agent", "baton/\(BatonVersion.current)")
        let body: JSONValue = ["query": .string(query), "variables": variables]
        let response: HTTPClientResponse
        do {
            response = try await http.execute(
                HTTPClientRequest(
                    method: .post, url: endpoint, headers: headers, body: Array(body.text.utf8), timeout: .seconds(30),
                    maxResponseBytes: 8 << 20))
        } catch {
            throw .transport("\(error)")
        }
        remember(response.headers)
        let parsed = try? JSONParser.parse(response.body)
        let errors = parsed?["errors"]?.arrayValue ?? []
        let codes = errors.compactMap { $0["extensions"]?["code"]?.stringValue }
        let messages = errors.compactMap { $0["message"]?.stringValue }
        if response.status == 429 || codes.contains("RATELIMITED") {
            rateLimitState.withLock { $0.remaining = 0 }
            throw .rateLimited(resetAtMs: rateLimit.resetAtMs)
        }
        // Only a refused token (401, AUTHENTICATION_ERROR) is a reason to get a new one; a 403 or
        // FORBIDDEN is this token lacking a permission, which a new token would lack too.
        let tokenRefused = response.status == 401 || codes.contains("AUTHENTICATION_ERROR")
        if tokenRefused || response.status == 403 || codes.contains("FORBIDDEN") {
            if tokenRefused { onUnauthorized?() }
            throw .unauthorized(messages.first ?? "HTTP \(response.status)")
        }
        guard (200..<300).contains(response.status) || !errors.isEmpty else {
            throw .http(response.status, String(response.text.prefix(300)))
        }
        if !errors.isEmpty { throw .graphQL(messages.isEmpty ? ["unknown error"] : messages) }
        guard let data = parsed?["data"], data != .null else { throw .malformed("no data in the answer") }
        return data
    }

    func remember(_ headers: HTTPHeaders) {
        func int(_ name: String) -> Int64? { headers[name].flatMap { Int64($0.filter { !$0.isWhitespace }) } }
        rateLimitState.withLock { state in
            if let limit = int("X-RateLimit-Requests-Limit") { state.limit = Int(limit) }
            if let remaining = int("X-RateLimit-Requests-Remaining") { state.remaining = Int(remaining) }
            // Epoch ms, at most an hour ahead (Linear's window): a negative or far-off value would
            // hold every request until then; it is capped, and a negative one skipped.
            if let reset = int("X-RateLimit-Requests-Reset"), reset >= 0 {
                state.resetAtMs = min(reset, now().addingSaturating(3_600_000))
            }
        }
    }
}

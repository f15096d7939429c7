import BatonCore
import BatonHTTP
import Testing

@testable import BatonAPI

@Suite struct RateLimitMiddlewareTests {
    @Test func answers429WithRetryAfterPerKeyAndClass() async throws {
        let limiter = RateLimiter(limits: .init(perMinute: ["read": 2, "write": 60]))
        let c = try await TestCoordinator.make(rateLimiter: limiter)
        defer { c.close() }
        #expect(await c.request(.get, "/metrics").status == .ok)
        #expect(await c.request(.get, "/metrics").status == .ok)
        let limited = await c.request(.get, "/metrics")
        #expect(limited.status == .tooManyRequests)
        // 2 a minute: the next token is 30 s after the first request, less the time the three took
        // (a loaded machine can take a second or two).
        #expect((27...30).contains(Int(limited.headers["Retry-After"] ?? "") ?? 0), "\(limited.headers)")
        #expect(limited.bodyText.contains(#""code":"rate_limited""#))
        // Another key has its own bucket; liveness is never limited.
        let other = try c.makeKey(.viewer)
        #expect(await c.request(.get, "/metrics", key: other).status == .ok)
        for _ in 0..<5 { #expect(await c.request(.get, "/health", anonymous: true).status == .ok) }
    }

    /// Webhook buckets are per source (`SourceAddress.key`), shared by a client's connections.
    @Test func webhookBucketsArePerSourceAddress() async throws {
        let limiter = RateLimiter(limits: .init(perMinute: ["webhook": 1]))
        let c = try await TestCoordinator.make(rateLimiter: limiter)
        defer { c.close() }
        func post(from address: String) async -> HTTPStatus {
            await c.router.respond(
                to: HTTPRequest(
                    method: .post, target: "/webhooks/linear", headers: ["Content-Type": "application/json"],
                    body: Array("{}".utf8), remoteAddress: address)
            ).status
        }
        #expect(await post(from: "10.0.0.1:1000") != .tooManyRequests)
        #expect(await post(from: "10.0.0.1:2000") == .tooManyRequests)
        #expect(await post(from: "[2001:db8:1:2::5]:80") != .tooManyRequests)
        #expect(await post(from: "[2001:db8:1:2:ffff::9]:81") == .tooManyRequests)
        #expect(await post(from: "10.0.0.2:1000") != .tooManyRequests)
        #expect(c.metrics.exposition().contains(#"baton_rate_limited_total{class="webhook"} 2"#))
    }
}

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
        #expect(limited.headers["Retry-After"] == "30")
        #expect(limited.bodyText.contains(#""code":"rate_limited""#))
        // Another key has its own bucket; liveness is never limited.
        let other = try c.makeKey(.viewer)
        #expect(await c.request(.get, "/metrics", key: other).status == .ok)
        for _ in 0..<5 { #expect(await c.request(.get, "/health", anonymous: true).status == .ok) }
    }

    @Test func sourceAddressesAreGroupedByHost() {
        #expect(RateLimitMiddleware.host("127.0.0.1:5555") == "127.0.0.1")
        #expect(RateLimitMiddleware.host("[::1]:80") == "[::1]")
        #expect(RateLimitMiddleware.host("") == "")
    }
}

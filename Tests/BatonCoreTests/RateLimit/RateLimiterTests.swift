import Synchronization
import Testing

@testable import BatonCore

@Suite struct RateLimiterTests {
    final class FakeClock: Sendable {
        let now = Mutex<Double>(0)
        func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
        var read: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
    }

    @Test func limitsEachWhoAndClassSeparately() {
        let clock = FakeClock()
        let limiter = RateLimiter(limits: .init(perMinute: ["read": 3, "write": 1]), clock: clock.read)
        for _ in 0..<3 { #expect(limiter.take(who: "k1", routeClass: "read") == nil) }
        #expect(limiter.take(who: "k1", routeClass: "read") == 20)
        #expect(limiter.take(who: "k2", routeClass: "read") == nil)
        #expect(limiter.take(who: "k1", routeClass: "write") == nil)
        #expect(limiter.take(who: "k1", routeClass: "write") == 60)
        #expect(limiter.take(who: "k1", routeClass: "unlisted") == nil)
        clock.advance(20)
        #expect(limiter.take(who: "k1", routeClass: "read") == nil)
    }

    @Test func forgetsBucketsThatRefilled() {
        let clock = FakeClock()
        let limiter = RateLimiter(limits: .init(perMinute: ["read": 600]), clock: clock.read)
        for i in 0..<4000 { _ = limiter.take(who: "k\(i)", routeClass: "read") }
        #expect(limiter.trackedBuckets == 4000)
        clock.advance(60)
        for _ in 0..<96 { _ = limiter.take(who: "again", routeClass: "read") }
        #expect(limiter.trackedBuckets <= 1)
    }
}

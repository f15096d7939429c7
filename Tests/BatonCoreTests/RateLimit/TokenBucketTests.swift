import Testing

@testable import BatonCore

@Suite struct TokenBucketTests {
    @Test func allowsTheBurstThenRefillsAtTheRate() {
        var bucket = TokenBucket(perMinute: 60, now: 0)
        for _ in 0..<60 { #expect(bucket.take(now: 0) == nil) }
        #expect(bucket.take(now: 0) == 1)
        // One token a second at 60/min.
        #expect(bucket.take(now: 0.5) == 1)
        #expect(bucket.take(now: 1.0) == nil)
        #expect(bucket.take(now: 1.0) == 1)
    }

    @Test func retryAfterReflectsTheRate() {
        var bucket = TokenBucket(perMinute: 6, now: 0)
        for _ in 0..<6 { _ = bucket.take(now: 0) }
        #expect(bucket.take(now: 0) == 10)
        #expect(bucket.take(now: 7) == 3)
    }

    @Test func neverExceedsCapacityAndIgnoresTimeGoingBackwards() {
        var bucket = TokenBucket(perMinute: 2, now: 100)
        let full = bucket.isFull(now: 10_000)
        #expect(full)
        _ = bucket.take(now: 10_000)
        _ = bucket.take(now: 10_000)
        #expect(bucket.take(now: 5) != nil)
    }
}

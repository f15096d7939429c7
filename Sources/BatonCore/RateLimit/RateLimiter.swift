import Synchronization

/// Token buckets by (who, route class). Who is a key id, or the source address for requests
/// without a key (webhooks). Buckets that have refilled completely are forgotten, so memory stays
/// bounded by the clients active within the last window.
public final class RateLimiter: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Requests per minute by route class, e.g. "read", "write", "webhook".
        public var perMinute: [String: Int]
        public init(perMinute: [String: Int]) { self.perMinute = perMinute }

        public static let defaults = Limits(perMinute: ["read": 1200, "write": 300, "webhook": 600])
    }

    /// A bucket's name: who, in which route class (a key, not a joined string: this runs on
    /// every limited request).
    private struct BucketKey: Hashable {
        let routeClass: String
        let who: String
    }

    private struct State {
        var buckets: [BucketKey: TokenBucket] = [:]
        var takesSincePrune = 0
    }

    private let limits: Limits
    private let clock: @Sendable () -> Double
    private let state = Mutex(State())

    /// `clock` returns seconds on a monotonic scale; tests inject their own.
    public init(limits: Limits = .defaults, clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.limits = limits
        self.clock = clock
    }

    /// nil when allowed; otherwise the seconds to wait (for `Retry-After`). Classes without a
    /// configured limit are not limited.
    public func take(who: String, routeClass: String) -> Int? {
        guard let perMinute = limits.perMinute[routeClass] else { return nil }
        let now = clock()
        let key = BucketKey(routeClass: routeClass, who: who)
        return state.withLock { state in
            state.takesSincePrune += 1
            if state.takesSincePrune >= 4096 {
                state.takesSincePrune = 0
                state.buckets = state.buckets.filter { _, bucket in
                    var copy = bucket
                    return !copy.isFull(now: now)
                }
            }
            // Changed in place: one hash of the key, not one to read and one to store.
            return state.buckets[key, default: TokenBucket(perMinute: perMinute, now: now)].take(now: now)
        }
    }

    public var trackedBuckets: Int { state.withLock { $0.buckets.count } }

    @Sendable public static func monotonicSeconds() -> Double {
        let elapsed = anchor.duration(to: .now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private static let anchor = ContinuousClock.now
}

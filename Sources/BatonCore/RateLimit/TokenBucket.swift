/// A token bucket: `capacity` tokens, refilled continuously at `perMinute / 60` per second. Pure
/// value logic; the caller passes the time, so tests drive it with a fake clock.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let refillPerSecond: Double
    public private(set) var tokens: Double
    public private(set) var updatedAt: Double

    public init(perMinute: Int, burst: Int? = nil, now: Double) {
        capacity = Double(max(1, burst ?? perMinute))
        refillPerSecond = Double(max(1, perMinute)) / 60
        tokens = capacity
        updatedAt = now
    }

    /// Takes one token if there is one. Otherwise returns the whole seconds to wait for it (≥ 1).
    public mutating func take(now: Double) -> Int? {
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return max(1, Int(((1 - tokens) / refillPerSecond).rounded(.up)))
    }

    /// Whether the bucket is full (so forgetting it loses nothing).
    public mutating func isFull(now: Double) -> Bool {
        refill(now: now)
        return tokens >= capacity
    }

    private mutating func refill(now: Double) {
        let elapsed = max(0, now - updatedAt)
        tokens = min(capacity, tokens + elapsed * refillPerSecond)
        updatedAt = max(updatedAt, now)
    }
}

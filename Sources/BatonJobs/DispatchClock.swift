import BatonCore

/// The dispatcher's clock in milliseconds since the epoch: the real one in service, a hand-moved
/// one in tests of leases and staleness.
public struct DispatchClock: Sendable {
    public let now: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64) { self.now = now }

    public static let system = DispatchClock { Timestamp.nowMilliseconds() }
}

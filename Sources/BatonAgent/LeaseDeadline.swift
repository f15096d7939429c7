import BatonWorkerProtocol
import Synchronization

/// When a worker takes a lease for lost (SPEC §7.14): the last moment it knows the coordinator
/// still holds the lease for it, less a margin, timed on the worker's own monotonic clock. Every
/// grant's `expires_in_ms` counts from the moment its request was sent (the coordinator answered
/// later, so its expiry is no earlier), except the lease's own, a long poll, which counts from its
/// arrival. Once the deadline passes the lease stays lost: the attempt is stopped and not
/// reported, and the coordinator requeues the job when the lease expires on its side.
final class LeaseDeadline: Sendable {
    private struct State {
        var deadline: ContinuousClock.Instant?
        var lost = false
    }

    private let state: Mutex<State>

    /// How long before the coordinator's expiry a worker stops the attempt: room for a cancelled
    /// agent's group to end (SIGTERM, SIGKILL at most 2 s later, §7.5) and a second to spare, more
    /// for longer leases, never more than half the lease.
    static func margin(_ lease: Duration) -> Duration {
        min(max(.seconds(3), lease / 4), lease / 2)
    }

    /// The deadline a grant valid for `expiresInMs` from `start` sets; nil without one (a
    /// coordinator that does not say: the lease is not timed).
    static func deadline(_ grant: LeaseGrant, from start: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard let ms = grant.expiresInMs else { return nil }
        let lease = Duration.milliseconds(ms)
        return start + lease - margin(lease)
    }

    init(_ grant: LeaseGrant, receivedAt: ContinuousClock.Instant) {
        state = Mutex(State(deadline: Self.deadline(grant, from: receivedAt)))
    }

    /// A report sent at `sentAt` got `grant` back: the deadline moves on (never back).
    func renewed(_ grant: LeaseGrant?, sentAt: ContinuousClock.Instant) {
        guard let grant, let next = Self.deadline(grant, from: sentAt) else { return }
        state.withLock { state in
            guard !state.lost else { return }
            state.deadline = state.deadline.map { max($0, next) } ?? next
        }
    }

    /// The current deadline; nil when the lease is not timed.
    var deadline: ContinuousClock.Instant? { state.withLock { $0.deadline } }

    /// Whether the deadline has passed by `now`; the first time it has, the lease is lost for good.
    func hasPassed(at now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            if !state.lost, let deadline = state.deadline, now >= deadline { state.lost = true }
            return state.lost
        }
    }

    var isLost: Bool { state.withLock { $0.lost } }
}

import BatonWorkerProtocol
import Testing

@testable import BatonAgent

/// When a worker takes its lease for lost: timed on its own clock from what the coordinator says
/// the lease lasts, less a margin that leaves a cancelled agent time to end.
@Suite struct LeaseDeadlineTests {
    static func grant(_ ms: Int64?) -> LeaseGrant {
        LeaseGrant(token: "1.t", expiresAt: "2026-12-01T10:00:30.000Z", expiresInMs: ms)
    }

    @Test func theMarginCoversACancelledAgentsEnd() {
        // At least 3 s (SIGTERM, SIGKILL 2 s later, a second to spare), a quarter of long leases,
        // never more than half the lease.
        #expect(LeaseDeadline.margin(.seconds(30)) == .milliseconds(7_500))
        #expect(LeaseDeadline.margin(.seconds(8)) == .seconds(3))
        #expect(LeaseDeadline.margin(.seconds(5)) == .milliseconds(2_500))
        #expect(LeaseDeadline.margin(.seconds(1)) == .milliseconds(500))
        #expect(LeaseDeadline.margin(.seconds(3600)) == .seconds(900))
    }

    @Test func renewalsMoveTheDeadlineOnAndALostLeaseStaysLost() {
        let start = ContinuousClock.now
        let lease = LeaseDeadline(Self.grant(30_000), receivedAt: start)
        #expect(lease.deadline == start + .milliseconds(22_500))
        #expect(!lease.hasPassed(at: start + .seconds(22)) && !lease.isLost)
        // Counted from when the report was sent, not from when its answer came.
        lease.renewed(Self.grant(30_000), sentAt: start + .seconds(10))
        #expect(lease.deadline == start + .milliseconds(32_500))
        // An older renewal answered late never moves it back; a cancel's answer (no lease) leaves it.
        lease.renewed(Self.grant(30_000), sentAt: start + .seconds(5))
        lease.renewed(nil, sentAt: start + .seconds(20))
        #expect(lease.deadline == start + .milliseconds(32_500))
        #expect(lease.hasPassed(at: start + .milliseconds(32_500)) && lease.isLost)
        // Once lost, a renewal that arrives after is too late: the agent is being stopped.
        lease.renewed(Self.grant(30_000), sentAt: start + .seconds(40))
        #expect(lease.isLost && lease.hasPassed(at: start))
    }

    /// A coordinator that does not say how long its leases last: nothing is timed.
    @Test func anUntimedLeaseIsNeverTakenForLost() {
        let start = ContinuousClock.now
        let lease = LeaseDeadline(Self.grant(nil), receivedAt: start)
        #expect(lease.deadline == nil && !lease.hasPassed(at: start + .seconds(86_400)))
    }
}

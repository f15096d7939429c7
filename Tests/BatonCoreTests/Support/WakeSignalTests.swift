import Testing

@testable import BatonCore

/// Bounds are loose (a wait that should end at once must end well before its two-minute timeout):
/// other suites can keep the cooperative pool's threads busy for tens of seconds in a full run.
@Suite struct WakeSignalTests {
    /// A signal sent while nobody waits is kept for the next wait, which returns at once.
    @Test func aSignalBeforeTheWaitIsKept() async {
        let signal = WakeSignal()
        signal.signal()
        let start = ContinuousClock.now
        await signal.wait(timeout: .seconds(120))
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    /// With no signal the wait ends at its timeout, not before.
    @Test func aWaitEndsAtItsTimeout() async {
        let signal = WakeSignal()
        let start = ContinuousClock.now
        await signal.wait(timeout: .milliseconds(200))
        #expect(ContinuousClock.now - start >= .milliseconds(200))
    }

    /// A signal wakes a waiter long before its timeout.
    @Test func aSignalWakesTheWaiter() async {
        let signal = WakeSignal()
        let start = ContinuousClock.now
        let waiter = Task { await signal.wait(timeout: .seconds(120)) }
        try? await Task.sleep(for: .milliseconds(50))
        signal.signal()
        await waiter.value
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    /// Signals sent while nobody waits coalesce: one wait returns at once, the next one waits.
    @Test func signalsCoalesceIntoOneWakeUp() async {
        let signal = WakeSignal()
        signal.signal()
        signal.signal()
        let first = ContinuousClock.now
        await signal.wait(timeout: .seconds(120))
        #expect(ContinuousClock.now - first < .seconds(60))
        let second = ContinuousClock.now
        await signal.wait(timeout: .milliseconds(200))
        #expect(ContinuousClock.now - second >= .milliseconds(200))
    }
}

import Testing

@testable import BatonPlatform

@Suite struct ConditionLockTests {
    final class Box: @unchecked Sendable {
        var ready = false
    }

    @Test func waitReturnsOnceSignalled() async {
        let lock = ConditionLock()
        let box = Box()
        let woke: Bool = await withCheckedContinuation { done in
            OSThread.detach(name: "waiter") {
                lock.lock()
                while !box.ready { lock.wait() }
                lock.unlock()
                done.resume(returning: true)
            }
            OSThread.detach(name: "signaller") {
                lock.withLock { box.ready = true }
                lock.broadcast()
            }
        }
        #expect(woke)
    }

    @Test func timedWaitTimesOut() async {
        let lock = ConditionLock()
        let start = ContinuousClock.now
        let signalled: Bool = await withCheckedContinuation { done in
            OSThread.detach(name: "timed") {
                lock.lock()
                let got = lock.wait(milliseconds: 120)
                lock.unlock()
                done.resume(returning: got)
            }
        }
        let elapsed = ContinuousClock.now - start
        #expect(!signalled)
        #expect(elapsed >= .milliseconds(100))
    }
}

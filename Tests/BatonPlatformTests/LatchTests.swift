import Glibc
import Synchronization
import Testing

@testable import BatonPlatform

/// A latch opened once lets every waiter through, before or after it opened.
@Suite struct LatchTests {
    @Test func aWaiterBlocksUntilTheLatchOpens() {
        let latch = Latch()
        let opened = Flag()
        let through = Latch()
        OSThread.detach(name: "latch-waiter") {
            latch.wait()
            let sawOpen = opened.value.load(ordering: .acquiring)
            #expect(sawOpen)
            through.open()
        }
        // Give the waiter time to block first; it must not pass before `open`.
        usleep(20_000)
        opened.value.store(true, ordering: .releasing)
        latch.open()
        through.wait()
    }

    @Test func anOpenLatchNeverBlocksAgain() {
        let latch = Latch()
        latch.open()
        latch.wait()
        latch.wait()
        latch.open()
        latch.wait()
    }
}

private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

import Synchronization
import Testing

@testable import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct OSThreadTests {
    @Test func runsTheBodyOnAnotherNamedThread() async {
        let callerID = OSThread.currentID
        let result: (Bool, String) = await withCheckedContinuation { done in
            OSThread.detach(name: "baton-test-thread-long-name") {
                done.resume(returning: (OSThread.isCurrent(callerID), OSThread.currentName))
            }
        }
        #expect(result.0 == false)
        #expect(result.1 == "baton-test-thre")
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test func manyThreadsAllRun() async {
        let counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        OSThread.detach(name: "t") {
                            counter.value.add(1, ordering: .relaxed)
                            done.resume()
                        }
                    }
                }
            }
        }
        #expect(counter.value.load(ordering: .relaxed) == 20)
    }
}

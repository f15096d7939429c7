import Synchronization
import Testing

@testable import BatonJobs

/// The cache answers per job and tenant until that job's row changes, keeps only reads no ended
/// change raced, lets an entry age out, and stays within its bounds.
@Suite struct JobJSONCacheTests {
    static func json(_ text: String, worker: String? = nil) -> StoredJobJSON {
        StoredJobJSON(bytes: Array(text.utf8), worker: worker)
    }

    /// A stand-in for the writer's count of ended changes.
    final class Ended: Sendable {
        let count = Atomic<UInt64>(0)
        func end() { count.add(1, ordering: .sequentiallyConsistent) }
        var now: UInt64 { count.load(ordering: .sequentiallyConsistent) }
    }

    static func cache(_ ended: Ended, maxEntries: Int = 256, maxBytes: Int = 1 << 20, maxEntryBytes: Int = 16 << 10)
        -> JobJSONCache
    {
        JobJSONCache(maxEntries: maxEntries, maxBytes: maxBytes, maxEntryBytes: maxEntryBytes) { ended.now }
    }

    @Test func answersUntilThatJobChanges() {
        // One instant for every look: a stalled machine must not age the entries out.
        let at = ContinuousClock.now
        let ended = Ended()
        let cache = Self.cache(ended)
        cache.store(Self.json("{1}"), id: 1, tenant: "t", readAfter: ended.now, now: at)
        cache.store(Self.json("{2}"), id: 2, tenant: "t", readAfter: ended.now, now: at)
        #expect(cache.json(1, tenant: "t", now: at) == Self.json("{1}"))
        #expect(cache.json(1, tenant: "other", now: at) == nil)
        #expect(cache.json(3, tenant: "t", now: at) == nil)
        // Another job's change ends: job 1 is still answered.
        ended.end()
        cache.drop([2])
        #expect(cache.json(1, tenant: "t", now: at) == Self.json("{1}"))
        #expect(cache.json(2, tenant: "t", now: at) == nil)
        // Job 1's own change drops it.
        ended.end()
        cache.drop([1, 7])
        #expect(cache.json(1, tenant: "t", now: at) == nil && cache.count == 0)
    }

    /// A read during which some change ended is not kept: that change may have reported its
    /// rows before the read's answer arrived here.
    @Test func aReadThatAChangeEndedDuringIsNotKept() {
        // One instant for every look: a stalled machine must not age the entries out.
        let at = ContinuousClock.now
        let ended = Ended()
        let cache = Self.cache(ended)
        let before = ended.now
        ended.end()
        cache.drop([1])
        cache.store(Self.json("{1 old}"), id: 1, tenant: "t", readAfter: before, now: at)
        #expect(cache.json(1, tenant: "t", now: at) == nil && cache.count == 0)
        cache.store(Self.json("{1 new}"), id: 1, tenant: "t", readAfter: ended.now, now: at)
        #expect(cache.json(1, tenant: "t", now: at) == Self.json("{1 new}"))
    }

    @Test func anEntryAgesOut() {
        let ended = Ended()
        let cache = Self.cache(ended)
        let kept = ContinuousClock.now
        cache.store(Self.json("{1}"), id: 1, tenant: "t", readAfter: ended.now, now: kept)
        #expect(cache.json(1, tenant: "t", now: kept + .milliseconds(999)) != nil)
        #expect(cache.json(1, tenant: "t", now: kept + cache.maxAge) == nil)
    }

    /// Bytes are counted by what each answer holds allocated (its capacity, which malloc decides),
    /// so the byte bounds are set from the answers' own capacities.
    @Test func staysWithinItsBounds() {
        let ended = Ended()
        // One instant for every look: a stalled machine must not age the entries out.
        let at = ContinuousClock.now
        // At most 3 entries: a fourth starts the cache over.
        let byCount = Self.cache(ended, maxEntries: 3)
        for id in 1...3 { byCount.store(Self.json("{\(id)}"), id: Int64(id), tenant: "t", readAfter: 0, now: at) }
        #expect(byCount.count == 3)
        byCount.store(Self.json("{4}"), id: 4, tenant: "t", readAfter: 0, now: at)
        #expect(byCount.count == 1 && byCount.json(4, tenant: "t", now: at) != nil)
        // At most a + b − 1 bytes: the second answer starts the cache over.
        let a = Self.json(String(repeating: "x", count: 20))
        let b = Self.json(String(repeating: "y", count: 20))
        let byBytes = Self.cache(ended, maxBytes: a.bytes.capacity + b.bytes.capacity - 1)
        byBytes.store(a, id: 1, tenant: "t", readAfter: 0, now: at)
        byBytes.store(b, id: 2, tenant: "t", readAfter: 0, now: at)
        #expect(byBytes.count == 1 && byBytes.json(2, tenant: "t", now: at) == b)
        // An answer larger than one entry may hold is not kept.
        let small = Self.json("{}")
        let bySize = Self.cache(ended, maxEntryBytes: small.bytes.capacity)
        bySize.store(small, id: 1, tenant: "t", readAfter: 0, now: at)
        let large = Self.json(String(repeating: "z", count: 4 * small.bytes.capacity + 100))
        bySize.store(large, id: 2, tenant: "t", readAfter: 0, now: at)
        #expect(bySize.json(1, tenant: "t", now: at) == small && bySize.json(2, tenant: "t", now: at) == nil)
        // Storing the same job again replaces it.
        byCount.store(Self.json("a"), id: 9, tenant: "t", readAfter: 0, now: at)
        byCount.store(Self.json("b"), id: 9, tenant: "t", readAfter: 0, now: at)
        #expect(byCount.json(9, tenant: "t", now: at) == Self.json("b"))
    }
}

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
        let ended = Ended()
        let cache = Self.cache(ended)
        cache.store(Self.json("{1}"), id: 1, tenant: "t", readAfter: ended.now)
        cache.store(Self.json("{2}"), id: 2, tenant: "t", readAfter: ended.now)
        #expect(cache.json(1, tenant: "t") == Self.json("{1}"))
        #expect(cache.json(1, tenant: "other") == nil)
        #expect(cache.json(3, tenant: "t") == nil)
        // Another job's change ends: job 1 is still answered.
        ended.end()
        cache.drop([2])
        #expect(cache.json(1, tenant: "t") == Self.json("{1}"))
        #expect(cache.json(2, tenant: "t") == nil)
        // Job 1's own change drops it.
        ended.end()
        cache.drop([1, 7])
        #expect(cache.json(1, tenant: "t") == nil && cache.count == 0)
    }

    /// A read during which some change ended is not kept: that change may have reported its
    /// rows before the read's answer arrived here.
    @Test func aReadThatAChangeEndedDuringIsNotKept() {
        let ended = Ended()
        let cache = Self.cache(ended)
        let before = ended.now
        ended.end()
        cache.drop([1])
        cache.store(Self.json("{1 old}"), id: 1, tenant: "t", readAfter: before)
        #expect(cache.json(1, tenant: "t") == nil && cache.count == 0)
        cache.store(Self.json("{1 new}"), id: 1, tenant: "t", readAfter: ended.now)
        #expect(cache.json(1, tenant: "t") == Self.json("{1 new}"))
    }

    @Test func anEntryAgesOut() {
        let ended = Ended()
        let cache = Self.cache(ended)
        let kept = ContinuousClock.now
        cache.store(Self.json("{1}"), id: 1, tenant: "t", readAfter: ended.now, now: kept)
        #expect(cache.json(1, tenant: "t", now: kept + .milliseconds(999)) != nil)
        #expect(cache.json(1, tenant: "t", now: kept + cache.maxAge) == nil)
    }

    @Test func staysWithinItsBounds() {
        let ended = Ended()
        let cache = Self.cache(ended, maxEntries: 3, maxBytes: 100, maxEntryBytes: 40)
        for id in 1...3 {
            cache.store(Self.json(String(repeating: "x", count: 20)), id: Int64(id), tenant: "t", readAfter: 0)
        }
        #expect(cache.count == 3)
        cache.store(Self.json("y"), id: 4, tenant: "t", readAfter: 0)
        #expect(cache.count == 1 && cache.json(4, tenant: "t") != nil)
        cache.store(Self.json(String(repeating: "z", count: 41)), id: 5, tenant: "t", readAfter: 0)
        #expect(cache.json(5, tenant: "t") == nil)
        for id in 5...9 {
            cache.store(Self.json(String(repeating: "w", count: 30)), id: Int64(id), tenant: "t", readAfter: 0)
        }
        #expect(cache.count <= 3)
        // Storing the same job again replaces it.
        cache.store(Self.json("a"), id: 9, tenant: "t", readAfter: 0)
        cache.store(Self.json("b"), id: 9, tenant: "t", readAfter: 0)
        #expect(cache.json(9, tenant: "t") == Self.json("b"))
    }
}

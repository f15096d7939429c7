import Testing

@testable import BatonJobs

/// The cache answers only at the data version its entries were read at, per tenant, and stays
/// within its bounds.
@Suite struct JobJSONCacheTests {
    static func json(_ text: String, worker: String? = nil) -> StoredJobJSON {
        StoredJobJSON(bytes: Array(text.utf8), worker: worker)
    }

    @Test func answersOnlyAtTheVersionItWasReadAt() {
        let cache = JobJSONCache()
        cache.store(Self.json("{1}"), id: 1, tenant: "t", at: 5)
        #expect(cache.json(1, tenant: "t", at: 5) == Self.json("{1}"))
        #expect(cache.json(1, tenant: "t", at: 6) == nil)
        #expect(cache.json(1, tenant: "other", at: 5) == nil)
        #expect(cache.json(2, tenant: "t", at: 5) == nil)
        // A newer read drops everything older.
        cache.store(Self.json("{2}"), id: 2, tenant: "t", at: 6)
        #expect(cache.count == 1)
        #expect(cache.json(1, tenant: "t", at: 6) == nil && cache.json(2, tenant: "t", at: 6) == Self.json("{2}"))
        // A read that started before the newest change is not kept.
        cache.store(Self.json("{1 old}"), id: 1, tenant: "t", at: 5)
        #expect(cache.json(1, tenant: "t", at: 5) == nil && cache.json(1, tenant: "t", at: 6) == nil)
        #expect(cache.count == 1)
    }

    @Test func staysWithinItsBounds() {
        let cache = JobJSONCache(maxEntries: 3, maxBytes: 100, maxEntryBytes: 40)
        for id in 1...3 { cache.store(Self.json(String(repeating: "x", count: 20)), id: Int64(id), tenant: "t", at: 1) }
        #expect(cache.count == 3)
        cache.store(Self.json("y"), id: 4, tenant: "t", at: 1)
        #expect(cache.count == 1 && cache.json(4, tenant: "t", at: 1) != nil)
        cache.store(Self.json(String(repeating: "z", count: 41)), id: 5, tenant: "t", at: 1)
        #expect(cache.json(5, tenant: "t", at: 1) == nil)
        for id in 5...9 { cache.store(Self.json(String(repeating: "w", count: 30)), id: Int64(id), tenant: "t", at: 1) }
        #expect(cache.count <= 3)
        // Storing the same job again replaces it.
        cache.store(Self.json("a"), id: 9, tenant: "t", at: 1)
        cache.store(Self.json("b"), id: 9, tenant: "t", at: 1)
        #expect(cache.json(9, tenant: "t", at: 1) == Self.json("b"))
    }
}

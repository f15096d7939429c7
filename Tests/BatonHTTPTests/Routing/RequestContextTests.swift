import Testing

@testable import BatonHTTP

/// `ContextStorage` is a value: each key holds its own type, the latest value of a key wins,
/// nil removes it, and a copy changed by one layer leaves the other's alone.
@Suite struct RequestContextTests {
    enum Name: ContextKey { typealias Value = String }
    enum Count: ContextKey { typealias Value = Int }
    enum Pair: ContextKey { typealias Value = [String] }

    @Test func keysHoldTheirOwnValues() {
        var storage = ContextStorage()
        #expect(storage[Name.self] == nil && storage[Count.self] == nil)
        storage[Name.self] = "first"
        storage[Count.self] = 3
        storage[Pair.self] = ["a", "b"]
        #expect(storage[Name.self] == "first" && storage[Count.self] == 3 && storage[Pair.self] == ["a", "b"])
        storage[Name.self] = "second"
        #expect(storage[Name.self] == "second" && storage[Count.self] == 3)
        storage[Count.self] = nil
        #expect(storage[Count.self] == nil && storage[Name.self] == "second" && storage[Pair.self] == ["a", "b"])
        storage[Count.self] = 4
        #expect(storage[Count.self] == 4)
    }

    @Test func copiesAreIndependent() {
        var outer = RequestContext()
        outer.storage[Name.self] = "outer"
        var inner = outer
        inner.storage[Name.self] = "inner"
        inner.storage[Count.self] = 1
        #expect(outer.storage[Name.self] == "outer" && outer.storage[Count.self] == nil)
        #expect(inner.storage[Name.self] == "inner" && inner.storage[Count.self] == 1)
        outer.storage[Count.self] = 2
        #expect(inner.storage[Count.self] == 1 && outer.storage[Count.self] == 2)
    }
}

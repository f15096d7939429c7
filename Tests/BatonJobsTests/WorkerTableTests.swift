import BatonWorkerProtocol
import Testing

@testable import BatonCore
@testable import BatonJobs

@Suite struct WorkerTableTests {
    static func entry(_ name: String, provider: String = "claude", tags: [String] = [], active: Int = 0)
        -> WorkerEntry
    {
        WorkerEntry(
            report: PresenceReport(instance: name, tags: tags, provider: provider, capacity: 2),
            lastHeartbeatMs: 1000, firstSeenAt: "", active: active)
    }

    @Test func readsAndWritesLikeADictionary() {
        var table = WorkerTable()
        #expect(table.isEmpty)
        table["a"] = Self.entry("a")
        table["b"] = Self.entry("b")
        #expect(table.count == 2)
        #expect(table["a"]?.instance == "a")
        #expect(table["missing"] == nil)
        table["a"]?.active += 1
        #expect(table["a"]?.active == 1)
        #expect(Set(table.keys) == ["a", "b"])
    }

    @Test func routingKeysFollowEveryWrite() {
        var table = WorkerTable([Self.entry("a"), Self.entry("b"), Self.entry("c")])
        table["b"]?.active = 2
        table["c"]?.paused = true
        table["a"]?.update(PresenceReport(instance: "a", status: .offline, tags: ["gpu"], provider: "ollama"))
        for (entry, key) in zip(table.entries, table.routingKeys) {
            let fresh = RoutingKey(entry)
            #expect(key.active == fresh.active && key.paused == fresh.paused && key.offline == fresh.offline)
            #expect(key.providers == fresh.providers && key.tags == fresh.tags)
        }
        #expect(table.routingKeys[0].offline)
        #expect(table.routingKeys[1].active == 2)
        #expect(table.routingKeys[2].paused)
    }

    @Test func removalMovesTheLastEntryIntoTheHole() {
        var table = WorkerTable([Self.entry("a"), Self.entry("b"), Self.entry("c", active: 1)])
        table["a"] = nil
        #expect(table.count == 2)
        #expect(table["a"] == nil)
        #expect(table["c"]?.active == 1)
        #expect(table.entries.map(\.instance) == ["c", "b"])
        #expect(table.routingKeys.map(\.active) == [1, 0])
        table["c"] = nil
        table["b"] = nil
        #expect(table.isEmpty && table.routingKeys.isEmpty)
    }

    /// The Bloom filters only short-cut: with many names some share a bit, and the strings decide.
    @Test func bloomCollisionsNeverAdmitAWrongWorker() {
        // 200 providers over 64 bits: every bit is shared by several names.
        let providers = (0..<200).map { "provider-\($0)" }
        let tags = (0..<200).map { "tag-\($0)" }
        let workers = providers.enumerated().map { i, provider in
            Self.entry("w\(i)", provider: provider, tags: [tags[i]])
        }
        let table = WorkerTable(workers)
        for i in stride(from: 0, to: 200, by: 7) {
            let wanted = RoutingRequest(provider: providers[i], model: nil, tier: .medium, tags: [tags[i]])
            let decision = JobRouter.route(wanted, in: table, weights: RouterWeights(), now: 2000, staleAfterMs: 15_000)
            #expect(decision.winner == "w\(i)")
            #expect(decision.eligible == 1)
            let mismatched = RoutingRequest(
                provider: providers[i], model: nil, tier: .medium, tags: [tags[(i + 1) % 200]])
            let none = JobRouter.route(mismatched, in: table, weights: RouterWeights(), now: 2000, staleAfterMs: 15_000)
            #expect(none.winner == nil)
            #expect(none.rejectedByReason[.tags] == 1)
            #expect(none.rejectedByReason[.provider] == 199)
        }
    }
}

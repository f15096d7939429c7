import Testing

@testable import BatonJobs

/// The stickiness memory of the dispatcher: bounded, least recently set issues forgotten first.
@Suite struct RecentIssueWorkersTests {
    @Test func theBoundHoldsAndTheOldestIssuesGoFirst() {
        var recent = RecentIssueWorkers()
        for n in 1...10_000 { recent.set("ENG-\(n)", "w\(n % 7)", limit: 100) }
        #expect(recent.count == 100)
        #expect(recent["ENG-9900"] == nil)
        #expect(recent["ENG-9901"] == "w\(9901 % 7)")
        #expect(recent["ENG-10000"] == "w\(10_000 % 7)")
        // The eviction order does not grow with the issues seen.
        #expect(recent.orderCount <= 2 * 512)
    }

    @Test func settingAnIssueAgainMakesItTheNewest() {
        var recent = RecentIssueWorkers()
        recent.set("A", "w1", limit: 2)
        recent.set("B", "w1", limit: 2)
        recent.set("A", "w2", limit: 2)
        recent.set("C", "w1", limit: 2)
        #expect(recent["A"] == "w2" && recent["B"] == nil && recent["C"] == "w1")
        #expect(recent.count == 2)
    }

    @Test func updatesOfTheSameIssuesKeepTheOrderBounded() {
        var recent = RecentIssueWorkers()
        for n in 0..<50_000 { recent.set("ENG-\(n % 10)", "w\(n)", limit: 100) }
        #expect(recent.count == 10 && recent["ENG-3"] == "w49993")
        #expect(recent.orderCount <= 2 * 512)
    }

    @Test func aLimitOfZeroRemembersNothing() {
        var recent = RecentIssueWorkers()
        recent.set("A", "w1", limit: 0)
        #expect(recent.count == 0 && recent["A"] == nil)
    }
}

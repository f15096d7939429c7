import Testing

@testable import BatonCore
@testable import BatonIssues
@testable import BatonJobs

@Suite struct IssueStateTests {
    /// The design's table, written out again here so a change to either is caught.
    static let table: [IssueState: Set<IssueState>] = [
        .queued: [.running, .aborted, .released],
        .running: [.completed, .retrying, .failed, .blocked, .aborted, .released],
        .retrying: [.queued, .aborted, .released], .blocked: [.queued, .aborted, .released],
        .completed: [.queued, .released], .failed: [.queued, .released], .aborted: [.queued, .released],
        .released: [.queued],
    ]

    @Test(arguments: IssueState.allCases)
    func everyPairFollowsTheTable(from: IssueState) {
        for to in IssueState.allCases {
            let listed = Self.table[from]!.contains(to)
            #expect(from.allows(to, by: .execution) == listed, "\(from) -> \(to)")
            let byOperator = listed && [.queued, .aborted, .released].contains(to)
            #expect(from.allows(to, by: .operator) == byOperator, "operator \(from) -> \(to)")
            #expect((from.refusal(to, by: .operator) == nil) == byOperator)
        }
    }

    @Test func refusalsSayWhy() {
        #expect(
            IssueState.released.refusal(.aborted, by: .operator)
                == "an issue cannot go from released to aborted (from released: queued)")
        #expect(
            IssueState.queued.refusal(.running, by: .operator)
                == "running is entered by execution only; an operator may move an issue to queued, aborted or released")
        #expect(IssueState.tableJSON["running"]?["operator"] == ["aborted", "released"])
    }
}

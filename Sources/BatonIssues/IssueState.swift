import BatonCore
import BatonJSON
import BatonJobs
import BatonTemplates

/// Baton's own state of an issue (not the tracker's workflow state), and the one table that says
/// which moves are allowed and who may make them.
public enum IssueState: String, Sendable, CaseIterable, Comparable {
    case queued, running, completed, retrying, failed, blocked, aborted, released

    public static func < (a: IssueState, b: IssueState) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Who asks for a move: execution (the orchestrator acting on attempts and the tracker) or an
    /// operator through `POST /api/v1/:id/transition`.
    public enum Mover: Sendable {
        case execution
        case `operator`
    }

    /// The design's transition table.
    public var successors: [IssueState] {
        switch self {
        case .queued: [.running, .aborted, .released]
        case .running: [.completed, .retrying, .failed, .blocked, .aborted, .released]
        case .retrying: [.queued, .aborted, .released]
        case .blocked: [.queued, .aborted, .released]
        case .completed: [.queued, .released]
        case .failed: [.queued, .released]
        case .aborted: [.queued, .released]
        case .released: [.queued]
        }
    }

    /// States only execution enters; an operator may move an issue to the others.
    public static let executionOnly: Set<IssueState> = [.running, .completed, .retrying, .failed, .blocked]

    public func allows(_ target: IssueState, by mover: Mover) -> Bool {
        guard successors.contains(target) else { return false }
        return mover == .execution || !Self.executionOnly.contains(target)
    }

    /// The moves an operator may make from here.
    public var operatorMoves: [IssueState] { successors.filter { allows($0, by: .operator) } }

    /// Why a move is refused, for the 422 answer.
    public func refusal(_ target: IssueState, by mover: Mover) -> String? {
        if allows(target, by: mover) { return nil }
        if !successors.contains(target) {
            let allowed = successors.map(\.rawValue).joined(separator: ", ")
            return "an issue cannot go from \(rawValue) to \(target.rawValue) (from \(rawValue): \(allowed))"
        }
        return
            "\(target.rawValue) is entered by execution only; an operator may move an issue to queued, aborted or released"
    }

    /// The table as `GET /api/v1/transitions` serves it.
    public static var tableJSON: JSONValue {
        .object(
            Dictionary(
                uniqueKeysWithValues: allCases.map { state in
                    (
                        state.rawValue,
                        [
                            "to": .array(state.successors.map { .string($0.rawValue) }),
                            "operator": .array(state.operatorMoves.map { .string($0.rawValue) }),
                        ] as JSONValue
                    )
                }))
    }
}

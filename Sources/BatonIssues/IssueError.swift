import BatonCore
import BatonJSON
import BatonJobs
import BatonTemplates

/// Why the orchestrator refused a change to an issue, an attempt or a template: the API renders
/// each case with its status code (SPEC §2.3, §9.2).
public enum IssueError: Refusal, Equatable {
    /// 404: no such issue, attempt or template in the caller's tenant.
    case notFound(String)
    /// 409: the issue or template is in a state that cannot take it.
    case conflict(String)
    /// 422: a move the issue state table forbids.
    case forbiddenTransition(String)

    public var message: String {
        switch self {
        case .notFound(let m), .conflict(let m), .forbiddenTransition(let m): m
        }
    }
}

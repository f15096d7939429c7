import BatonCore
import BatonJobs
import BatonTemplates

/// Where issues come from when Baton polls (Linear; the `local` tracker has none): the poll's
/// candidates, a refresh of issues Baton is tracking, and the write-back calls.
public protocol IssueTracker: Sendable {
    /// Issues in the active states (with the configured team, project and assignee).
    func candidates() async throws -> [TrackedIssue]
    /// The tracker's current view of these issues, by tracker id (missing ones were deleted).
    func refresh(ids: [String]) async throws -> [TrackedIssue]
    /// A comment on the issue.
    func comment(issueID: String, body: String) async throws
    /// Moves the issue to the workflow state named `state` of its team.
    func move(issueID: String, toState state: String) async throws
}

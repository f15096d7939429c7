import BatonCore
import BatonIssues
import BatonJSON

/// Tells Linear what happened (`tracker.write_back`): the issue moves to the started state when
/// its first attempt begins and to the review state when an attempt completes, and each outcome is
/// commented. It follows the issue events, so the orchestrator's transactions never wait on Linear.
public final class LinearWriteBack: Sendable {
    public struct Settings: Sendable, Equatable {
        public var startedState: String?
        public var reviewState: String?
        public var comments = true

        public init(startedState: String? = "In Progress", reviewState: String? = "In Review", comments: Bool = true) {
            self.startedState = startedState
            self.reviewState = reviewState
            self.comments = comments
        }

        public init(config effective: JSONValue) {
            let config = ConfigReader(effective)
            self.init(
                startedState: config.string("tracker.started_state"), reviewState: config.string("tracker.review_state")
            )
        }
    }

    let tracker: any IssueTracker
    /// Asked for what it writes back: the orchestrator owns the issue tables.
    let orchestrator: Orchestrator
    let settings: Settings
    let log: @Sendable (String) -> Void

    public init(
        tracker: any IssueTracker, orchestrator: Orchestrator, settings: Settings,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.tracker = tracker
        self.orchestrator = orchestrator
        self.settings = settings
        self.log = log
    }

    public static let eventTypes = ["issue.running", "issue.completed", "issue.failed", "issue.blocked"]

    /// Follows live issue events until cancelled.
    public func run(events: EventBus) async {
        guard
            let stream = try? await events.subscribe(
                after: nil, filter: EventFilter(types: Self.eventTypes), isClient: false)
        else {
            return
        }
        for await event in stream { await handle(event) }
    }

    /// One event's write-back; a failure is logged, not retried (the next outcome is written anyway).
    public func handle(_ event: Event) async {
        guard let data = try? JSONParser.parse(Array(event.data.utf8)),
            let identifier = data["identifier"]?.stringValue,
            let tenant = event.tenant
        else { return }
        do {
            guard let facts = try await orchestrator.writeBackFacts(identifier, tenant: tenant) else { return }
            let (issueID, result, attempts) = (facts.trackerID, facts.latestResult, facts.attempts)
            let reason = data["reason"]?.stringValue ?? ""
            // An issue delegated to Baton's agent hears its outcome as the session's activities
            // (Linear comments them in the session's thread); a comment would say it twice.
            let comments = settings.comments && !facts.hasAgentSession
            switch event.type {
            case "issue.running":
                if attempts == 1, let state = settings.startedState {
                    try await tracker.move(issueID: issueID, toState: state)
                }
            case "issue.completed":
                if comments {
                    let summary = result.map { "\n\n" + String($0.prefix(4000)) } ?? ""
                    try await tracker.comment(issueID: issueID, body: "Baton: attempt \(attempts) completed.\(summary)")
                }
                if let state = settings.reviewState { try await tracker.move(issueID: issueID, toState: state) }
            case "issue.failed":
                if comments { try await tracker.comment(issueID: issueID, body: "Baton: gave up. \(reason)") }
            case "issue.blocked":
                if comments {
                    try await tracker.comment(issueID: issueID, body: "Baton: the agent is blocked: \(reason)")
                }
            default:
                return
            }
        } catch {
            log("linear write-back for \(identifier) (\(event.type)): \(error)")
        }
    }
}

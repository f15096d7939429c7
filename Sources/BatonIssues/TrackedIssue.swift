import BatonCore
import BatonJobs
import BatonTemplates

/// An issue as the tracker describes it (a Linear webhook's `data`, a GraphQL node, or the API).
public struct TrackedIssue: Sendable, Equatable {
    public var identifier: String
    public var trackerID: String?
    public var title: String
    public var description: String
    /// The tracker's workflow state name ("Todo", "In Progress", "Done", …).
    public var state: String
    /// Linear's priority: 0 none, 1 urgent, 2 high, 3 medium, 4 low.
    public var priority: Int
    public var labels: [String]
    public var url: String?
    public var createdAt: String?
    /// The Linear project's slug, when the tracker said (git routes match on it).
    public var project: String?

    public init(
        identifier: String, trackerID: String? = nil, title: String, description: String = "", state: String,
        priority: Int = 0, labels: [String] = [], url: String? = nil, createdAt: String? = nil, project: String? = nil
    ) {
        self.project = project
        self.identifier = identifier
        self.trackerID = trackerID
        self.title = title
        self.description = description
        self.state = state
        self.priority = priority
        self.labels = labels
        self.url = url
        self.createdAt = createdAt
    }
}

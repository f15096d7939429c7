import BatonCore
import BatonIssues
import BatonJSON
import Synchronization

/// Linear as Baton's tracker: the poll's queries (issues of the team, project and assignee in the
/// active states, 50 a page, every page), refresh by ids, and the write-back mutations.
public final class LinearTracker: IssueTracker {
    public struct Filter: Sendable, Equatable {
        public var teamKey: String?
        public var projectSlug: String?
        public var assignee: String?
        public var activeStates: [String]
        public var pageSize: Int

        public init(
            teamKey: String? = nil, projectSlug: String? = nil, assignee: String? = nil,
            activeStates: [String] = ["Todo", "In Progress"], pageSize: Int = 50
        ) {
            self.teamKey = teamKey
            self.projectSlug = projectSlug
            self.assignee = assignee
            self.activeStates = activeStates
            self.pageSize = pageSize
        }

        public init(config effective: JSONValue) {
            let config = ConfigReader(effective)
            self.init(
                teamKey: config.optionalString("tracker.team_key"),
                projectSlug: config.optionalString("tracker.project_slug"),
                assignee: config.optionalString("tracker.assignee"),
                activeStates: config.strings("tracker.active_states"),
                pageSize: Int(config.int("tracker.page_size")))
        }
    }

    public let client: LinearClient
    let filter: Filter
    /// Team workflow states by team id: name → state id (fetched once per team).
    let states = Mutex<[String: [String: String]]>([:])
    /// Where a value Linear sent and Baton skipped is told.
    let log: @Sendable (String) -> Void

    public init(client: LinearClient, filter: Filter, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.client = client
        self.filter = filter
        self.log = log
    }

    public func candidates() async throws -> [TrackedIssue] {
        var issueFilter: [String: JSONValue] = [
            "state": ["name": ["in": .array(filter.activeStates.map(JSONValue.string))]]
        ]
        if let team = filter.teamKey { issueFilter["team"] = ["key": ["eq": .string(team)]] }
        if let project = filter.projectSlug { issueFilter["project"] = ["slugId": ["eq": .string(project)]] }
        if let assignee = filter.assignee {
            issueFilter["assignee"] =
                assignee.contains("@") ? ["email": ["eq": .string(assignee)]] : ["id": ["eq": .string(assignee)]]
        }
        return try await pages(filter: .object(issueFilter))
    }

    public func refresh(ids: [String]) async throws -> [TrackedIssue] {
        guard !ids.isEmpty else { return [] }
        return try await pages(filter: ["id": ["in": .array(ids.map(JSONValue.string))]])
    }

    /// Every page of `issues(filter:)`.
    func pages(filter issueFilter: JSONValue) async throws -> [TrackedIssue] {
        var out: [TrackedIssue] = []
        var after: JSONValue = .null
        for _ in 0..<200 {  // at most 10,000 issues at 50 a page: a bound, not a limit anyone meets
            let data = try await client.execute(
                LinearDocuments.issues,
                variables: ["filter": issueFilter, "first": .int(Int64(filter.pageSize)), "after": after])
            guard let connection = data["issues"], let nodes = connection["nodes"]?.arrayValue else {
                throw LinearError.malformed("issues.nodes is missing")
            }
            for node in nodes { out.append(try Self.issue(node, log: log)) }
            guard connection["pageInfo"]?["hasNextPage"]?.boolValue == true,
                let cursor = connection["pageInfo"]?["endCursor"]?.stringValue
            else { break }
            after = .string(cursor)
        }
        return out
    }

    /// One GraphQL issue node; a priority outside 0–4 is skipped (none) and logged, not converted.
    static func issue(_ node: JSONValue, log: (String) -> Void = { _ in }) throws -> TrackedIssue {
        guard let identifier = node["identifier"]?.stringValue, let state = node["state"]?["name"]?.stringValue else {
            throw LinearError.malformed("an issue without identifier or state")
        }
        let priority = LinearWebhook.priority(node["priority"])
        if priority == nil {
            let given = node["priority"]?.text.prefix(40) ?? ""
            log("tracker: \(identifier.prefix(64)): priority \(given) is not 0 to 4; taken as none")
        }
        return TrackedIssue(
            identifier: identifier, trackerID: node["id"]?.stringValue, title: node["title"]?.stringValue ?? "",
            description: node["description"]?.stringValue ?? "", state: state, priority: priority ?? 0,
            labels: (node["labels"]?["nodes"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue },
            url: node["url"]?.stringValue, createdAt: node["createdAt"]?.stringValue,
            project: node["project"]?["slugId"]?.stringValue)
    }

    /// Who the API key acts for (a check that the key works).
    public func viewer() async throws -> (id: String, name: String) {
        let data = try await client.execute(LinearDocuments.viewer)
        guard let id = data["viewer"]?["id"]?.stringValue else { throw LinearError.malformed("viewer.id is missing") }
        return (id, data["viewer"]?["name"]?.stringValue ?? "")
    }

    public func comment(issueID: String, body: String) async throws {
        let data = try await client.execute(
            LinearDocuments.commentCreate, variables: ["input": ["issueId": .string(issueID), "body": .string(body)]])
        guard data["commentCreate"]?["success"]?.boolValue == true else {
            throw LinearError.graphQL(["commentCreate did not succeed"])
        }
    }

    public func move(issueID: String, toState name: String) async throws {
        let team = try await teamOf(issueID)
        let stateID = try await stateID(named: name, team: team)
        let data = try await client.execute(
            LinearDocuments.issueUpdate, variables: ["id": .string(issueID), "input": ["stateId": .string(stateID)]])
        guard data["issueUpdate"]?["success"]?.boolValue == true else {
            throw LinearError.graphQL(["issueUpdate did not succeed"])
        }
    }

    func teamOf(_ issueID: String) async throws -> String {
        let data = try await client.execute(
            LinearDocuments.issueTeam,
            variables: ["id": .string(issueID)])
        guard let team = data["issue"]?["team"]?["id"]?.stringValue else {
            throw LinearError.malformed("issue.team.id is missing")
        }
        return team
    }

    func stateID(named name: String, team: String) async throws -> String {
        if let known = states.withLock({ $0[team]?[name.lowercased()] }) { return known }
        let data = try await client.execute(
            LinearDocuments.teamStates,
            variables: ["id": .string(team)])
        guard let nodes = data["team"]?["states"]?["nodes"]?.arrayValue else {
            throw LinearError.malformed("team.states.nodes is missing")
        }
        var byName: [String: String] = [:]
        for node in nodes {
            if let id = node["id"]?.stringValue, let stateName = node["name"]?.stringValue {
                byName[stateName.lowercased()] = id
            }
        }
        states.withLock { $0[team] = byName }
        guard let id = byName[name.lowercased()] else {
            throw LinearError.graphQL(["the team has no workflow state named \(JSONText.quote(name))"])
        }
        return id
    }
}

import BatonHTTP
import BatonJSON
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback server playing Linear's GraphQL endpoint for the operations Baton sends, answering
/// in Linear's response shapes (connections with `nodes` and `pageInfo`, `success` payloads,
/// `errors` with `extensions.code`) and with its rate-limit headers. Issues live in memory; the
/// test adds, edits and inspects them.
public final class FakeLinear: HTTPResponder, Sendable {
    public struct Issue: Sendable, Equatable {
        public var id: String
        public var identifier: String
        public var title: String
        public var state: String
        public var priority: Int
        public var labels: [String]
        public var createdAt: String
        /// The issue's delegate (an agent's app user id), if any.
        public var delegate: String?

        public init(
            id: String, identifier: String, title: String, state: String, priority: Int = 0, labels: [String] = [],
            createdAt: String = "2026-11-30T09:00:00.000Z"
        ) {
            self.id = id
            self.identifier = identifier
            self.title = title
            self.state = state
            self.priority = priority
            self.labels = labels
            self.createdAt = createdAt
        }
    }

    public struct Recorded: Sendable {
        public var operation: String
        /// The document as sent, for validation against Linear's schema.
        public var query: String
        public var variables: JSONValue
        public var authorization: String?
    }

    /// An agent activity Linear holds: the input Baton sent, when it arrived (ms since 1970).
    public struct Activity: Sendable, Equatable {
        public var id: String
        public var sessionID: String
        public var content: JSONValue
        public var ephemeral: Bool
        public var receivedAtMs: Int64
    }

    /// How the next `agentActivityCreate` is answered.
    public enum Failure: Sendable, Equatable {
        /// HTTP 429 with `RATELIMITED`, nothing created.
        case rateLimited
        /// HTTP 500, nothing created.
        case serverError
        /// The activity is created, then HTTP 500 (the answer was lost on the way back).
        case createdThenServerError
    }

    struct State {
        var issues: [Issue] = []
        var comments: [(issueID: String, body: String)] = []
        var recorded: [Recorded] = []
        var rateLimitNext = 0
        var remaining = 1500
        var activities: [Activity] = []
        var activityFailures: [Failure] = []
        var externalURLs: [String: JSONValue] = [:]
        var lookupsFail = false
    }

    public static let apiKey = "lin_api_fake_0123456789"
    /// An OAuth app's access token (`actor=app`), which Baton sends as `Bearer <token>`.
    public static let appToken = "lin_oauth_fake_app_0123456789"
    public static let teamID = "team-eng"
    public static let workflow = ["Backlog", "Todo", "In Progress", "In Review", "Done", "Canceled"]
    /// Linear's state type of each workflow state.
    public static func stateType(_ name: String) -> String {
        switch name {
        case "Backlog": "backlog"
        case "In Progress", "In Review": "started"
        case "Done": "completed"
        case "Canceled": "canceled"
        default: "unstarted"
        }
    }
    private let state = Mutex(State())
    private let loopback = LoopbackServer()

    public init(_ issues: [Issue] = []) { state.withLock { $0.issues = issues } }

    public var issues: [Issue] {
        get { state.withLock { $0.issues } }
        set { state.withLock { $0.issues = newValue } }
    }
    public func update(_ identifier: String, _ change: (inout Issue) -> Void) {
        state.withLock { s in
            if let i = s.issues.firstIndex(where: { $0.identifier == identifier }) { change(&s.issues[i]) }
        }
    }
    public var comments: [(issueID: String, body: String)] { state.withLock { $0.comments } }
    public var recorded: [Recorded] { state.withLock { $0.recorded } }
    /// Agent activities in the order Linear created them.
    public var activities: [Activity] { state.withLock { $0.activities } }
    /// `externalUrls` set per agent session.
    public var externalURLs: [String: JSONValue] { state.withLock { $0.externalURLs } }
    /// While set, `agentActivity(id:)` lookups are answered HTTP 500.
    public func failLookups(_ on: Bool) { state.withLock { $0.lookupsFail = on } }
    /// The next `agentActivityCreate` calls are answered with these failures, one each.
    public func failActivityCreates(_ failures: [Failure]) { state.withLock { $0.activityFailures = failures } }
    /// The next `count` requests are answered `RATELIMITED`.
    public func rateLimit(next count: Int) { state.withLock { $0.rateLimitNext = count } }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        guard request.method == .post, request.path == "/graphql",
            let body = try? JSONParser.parse(request.body), let query = body["query"]?.stringValue
        else { return .json(.badRequest, #"{"errors":[{"message":"POST a GraphQL document to /graphql"}]}"#) }
        let variables = body["variables"] ?? [:]
        let operation = Self.operationName(query)
        let now = Int64(time(nil)) * 1000
        return state.withLock { s -> HTTPResponse in
            s.recorded.append(
                Recorded(
                    operation: operation, query: query, variables: variables,
                    authorization: request.headers["Authorization"]))
            var headers = HTTPHeaders()
            headers.add("X-RateLimit-Requests-Limit", "1500")
            headers.add("X-RateLimit-Requests-Reset", String(now + 3_600_000))
            let authorization = request.headers["Authorization"]
            guard authorization == Self.apiKey || authorization == "Bearer " + Self.appToken else {
                return .json(
                    .ok,
                    #"{"errors":[{"message":"Authentication required, not authenticated","extensions":{"code":"AUTHENTICATION_ERROR"}}]}"#,
                    headers: headers)
            }
            if s.rateLimitNext > 0 {
                s.rateLimitNext -= 1
                var limited = HTTPHeaders()
                limited.add("X-RateLimit-Requests-Limit", "1500")
                limited.add("X-RateLimit-Requests-Remaining", "0")
                limited.add("X-RateLimit-Requests-Reset", String(now + 60_000))
                return .json(
                    .badRequest, #"{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}"#,
                    headers: limited)
            }
            s.remaining -= 1
            headers.add("X-RateLimit-Requests-Remaining", String(s.remaining))
            let data: JSONValue
            switch operation {
            case "BatonIssues": data = ["issues": Self.page(s.issues, variables)]
            case "BatonViewer":
                data = ["viewer": ["id": "baton-app-user", "name": "Baton Bot", "email": "bot@example.com"]]
            case "BatonIssueTeam":
                let id = variables["id"]?.stringValue ?? ""
                guard s.issues.contains(where: { $0.id == id }) else {
                    return .json(
                        .ok, #"{"errors":[{"message":"Entity not found: Issue"}],"data":null}"#, headers: headers)
                }
                data = ["issue": ["id": .string(id), "team": ["id": .string(Self.teamID), "key": "ENG"]]]
            case "BatonTeamStates":
                data = [
                    "team": [
                        "id": .string(Self.teamID),
                        "states": [
                            "nodes": .array(
                                Self.workflow.map {
                                    ["id": .string("state-\($0)"), "name": .string($0), "type": "started"]
                                })
                        ],
                    ]
                ]
            case "BatonCommentCreate":
                let input = variables["input"]
                s.comments.append((input?["issueId"]?.stringValue ?? "", input?["body"]?.stringValue ?? ""))
                data = ["commentCreate": ["success": true, "comment": ["id": .string("comment-\(s.comments.count)")]]]
            case "BatonIssueUpdate":
                let id = variables["id"]?.stringValue ?? ""
                let stateID = variables["input"]?["stateId"]?.stringValue
                let delegate = variables["input"]?["delegateId"]?.stringValue
                guard let i = s.issues.firstIndex(where: { $0.id == id }), stateID?.hasPrefix("state-") ?? true,
                    stateID != nil || delegate != nil
                else {
                    return .json(.ok, #"{"errors":[{"message":"Entity not found"}],"data":null}"#, headers: headers)
                }
                if let stateID { s.issues[i].state = String(stateID.dropFirst("state-".count)) }
                if let delegate { s.issues[i].delegate = delegate }
                data = [
                    "issueUpdate": [
                        "success": true, "issue": ["id": .string(id), "state": ["name": .string(s.issues[i].state)]],
                    ]
                ]
            case "BatonAgentActivityCreate":
                let input = variables["input"]
                let id = input?["id"]?.stringValue ?? "activity-\(s.activities.count + 1)"
                let failure = s.activityFailures.isEmpty ? nil : s.activityFailures.removeFirst()
                switch failure {
                case .rateLimited:
                    // Spent for the next second, as Linear's headers would say.
                    var limited = HTTPHeaders()
                    limited.add("X-RateLimit-Requests-Limit", "1500")
                    limited.add("X-RateLimit-Requests-Remaining", "0")
                    limited.add("X-RateLimit-Requests-Reset", String(Self.nowMilliseconds() + 1000))
                    return .json(
                        .tooManyRequests,
                        #"{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}"#,
                        headers: limited)
                case .serverError:
                    return .json(.internalServerError, #"{"errors":[{"message":"Internal server error"}]}"#)
                default:
                    break
                }
                // Linear keeps ids unique: a second create with a known id is refused.
                guard !s.activities.contains(where: { $0.id == id }) else {
                    return .json(
                        .ok, #"{"errors":[{"message":"Entity already exists","extensions":{"code":"INVALID_INPUT"}}]}"#,
                        headers: headers)
                }
                s.activities.append(
                    Activity(
                        id: id, sessionID: input?["agentSessionId"]?.stringValue ?? "",
                        content: input?["content"] ?? .null, ephemeral: input?["ephemeral"]?.boolValue ?? false,
                        receivedAtMs: Self.nowMilliseconds()))
                if failure == .createdThenServerError {
                    return .json(.internalServerError, #"{"errors":[{"message":"Internal server error"}]}"#)
                }
                data = ["agentActivityCreate": ["success": true, "agentActivity": ["id": .string(id)]]]
            case "BatonAgentIssue":
                let id = variables["id"]?.stringValue ?? ""
                guard let issue = s.issues.first(where: { $0.id == id }) else {
                    return .json(
                        .ok, #"{"errors":[{"message":"Entity not found: Issue"}],"data":null}"#, headers: headers)
                }
                // The started states, listed last position first: the caller picks by position.
                let started = Self.workflow.enumerated().filter { Self.stateType($0.element) == "started" }.reversed()
                data = [
                    "issue": [
                        "id": .string(id),
                        "state": ["id": .string("state-\(issue.state)"), "type": .string(Self.stateType(issue.state))],
                        "delegate": issue.delegate.map { ["id": .string($0)] } ?? .null,
                        "team": [
                            "id": .string(Self.teamID),
                            "states": [
                                "nodes": .array(
                                    started.map {
                                        [
                                            "id": .string("state-\($0.element)"), "name": .string($0.element),
                                            "position": .double(Double($0.offset)),
                                        ]
                                    })
                            ],
                        ],
                    ]
                ]
            case "BatonAgentActivity":
                if s.lookupsFail {
                    return .json(.internalServerError, #"{"errors":[{"message":"Internal server error"}]}"#)
                }
                let id = variables["id"]?.stringValue ?? ""
                guard s.activities.contains(where: { $0.id == id }) else {
                    return .json(
                        .ok, #"{"errors":[{"message":"Entity not found: AgentActivity"}],"data":null}"#,
                        headers: headers)
                }
                data = ["agentActivity": ["id": .string(id)]]
            case "BatonAgentSessionUpdate":
                let id = variables["id"]?.stringValue ?? ""
                s.externalURLs[id] = variables["input"]?["externalUrls"] ?? .null
                data = ["agentSessionUpdate": ["success": true, "agentSession": ["id": .string(id)]]]
            default:
                return .json(.ok, #"{"errors":[{"message":"Cannot query this operation"}]}"#, headers: headers)
            }
            return .json(.ok, (["data": data] as JSONValue).text, headers: headers)
        }
    }

    static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// `query BatonIssues(...)` → `BatonIssues`.
    static func operationName(_ query: String) -> String {
        let words = query.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        guard let index = words.firstIndex(where: { $0 == "query" || $0 == "mutation" }), index + 1 < words.count else {
            return ""
        }
        return String(words[index + 1])
    }

    /// `issues(filter:first:after:)` over the issues: `id.in`, `state.name.in` and `team.key.eq`
    /// filters, pages of `first` with the position as the cursor.
    static func page(_ all: [Issue], _ variables: JSONValue) -> JSONValue {
        let filter = variables["filter"]
        var matching = all
        if let ids = filter?["id"]?["in"]?.arrayValue?.compactMap(\.stringValue) {
            matching = matching.filter { ids.contains($0.id) }
        }
        if let states = filter?["state"]?["name"]?["in"]?.arrayValue?.compactMap(\.stringValue) {
            matching = matching.filter { states.contains($0.state) }
        }
        if let team = filter?["team"]?["key"]?["eq"]?.stringValue {
            matching = matching.filter { $0.identifier.hasPrefix(team + "-") }
        }
        let first = Int(variables["first"]?.intValue ?? 50)
        let start = variables["after"]?.stringValue.flatMap { Int($0) } ?? 0
        let slice = matching.dropFirst(start).prefix(first)
        let end = start + slice.count
        return [
            "nodes": .array(
                slice.map { issue in
                    [
                        "id": .string(issue.id), "identifier": .string(issue.identifier), "title": .string(issue.title),
                        "description": "", "priority": .int(Int64(issue.priority)),
                        "url": .string("https://linear.app/acme/issue/\(issue.identifier)"),
                        "createdAt": .string(issue.createdAt), "updatedAt": .string(issue.createdAt),
                        "state": [
                            "id": .string("state-\(issue.state)"), "name": .string(issue.state), "type": "unstarted",
                        ],
                        "labels": ["nodes": .array(issue.labels.map { ["name": .string($0)] })],
                        "team": ["id": .string(teamID), "key": "ENG"],
                    ]
                }),
            "pageInfo": [
                "hasNextPage": .bool(end < matching.count),
                "endCursor": end < matching.count ? .string(String(end)) : .null,
            ],
        ]
    }

    /// Returns the GraphQL endpoint's URL.
    public func start() throws -> String { try loopback.start(self) + "/graphql" }

    public func stop() async { await loopback.stop() }
}

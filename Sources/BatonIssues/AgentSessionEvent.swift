import BatonJSON
import BatonJobs
import BatonPlatform

/// An `AgentSessionEvent` delivery read in its own shape (SPEC §9.15, §10): it carries
/// `agentSession` (and on `prompted` the user's `agentActivity`), not `data`. Strict: a field
/// Baton uses must have Linear's type, stay within a bound, and agree with the fields that
/// repeat it (the session's app user and organisation, its issue id, the activity's session).
public struct AgentSessionEvent: Sendable, Equatable {
    public enum Action: String, Sendable, Equatable {
        /// The app was delegated an issue or mentioned: a new session.
        case created
        /// A user wrote to an existing session (a prompt, perhaps with a signal such as `stop`).
        case prompted
    }

    /// `agentSession.issue` (`IssueWithDescriptionChildWebhookPayload`).
    public struct IssueRef: Sendable, Equatable {
        public var id: String
        public var identifier: String
        public var title: String
        public var description: String?
        public var url: String?
    }

    /// A comment (`CommentChildWebhookPayload`): the session's root comment or an earlier one.
    public struct CommentRef: Sendable, Equatable {
        public var id: String
        public var body: String
    }

    /// `agentActivity` of a `prompted` delivery: the user's prompt (`content.type` `prompt`).
    public struct Prompt: Sendable, Equatable {
        public var activityID: String
        public var body: String
        /// `AgentActivitySignal`: `stop`, `continue`, `auth` or `select`.
        public var signal: String?
    }

    public var action: Action
    public var sessionID: String
    public var appUserID: String
    public var organizationID: String
    public var issue: IssueRef?
    public var comment: CommentRef?
    /// The responsible human's name (`agentSession.creator.name`), when there is one.
    public var creator: String?
    /// What Linear formatted from the issue, the comment and the guidance for the agent.
    public var promptContext: String?
    public var guidance: [String]
    public var previousComments: [CommentRef]
    public var prompt: Prompt?

    /// Bounds on what one delivery may carry (the body itself is bounded by the server).
    public static let maxIDBytes = 256
    public static let maxTextCodePoints = 262_144
    public static let maxListCount = 100
    public static let signals: Set<String> = ["stop", "continue", "auth", "select"]

    typealias Invalid = LinearWebhook.Invalid

    /// Reads the delivery's fields; `action` is `created` or `prompted` (the caller ignores others).
    public static func parse(action: Action, _ fields: [String: JSONValue]) throws(LinearWebhook.Invalid)
        -> AgentSessionEvent
    {
        guard let session = fields["agentSession"]?.objectValue else {
            throw Invalid("missing object \"agentSession\"")
        }
        let sessionID = try id(session["id"], "agentSession.id")
        let appUserID = try id(fields["appUserId"], "appUserId")
        let organizationID = try id(fields["organizationId"], "organizationId")
        guard try optionalID(session["appUserId"], "agentSession.appUserId") ?? appUserID == appUserID else {
            throw Invalid("agentSession.appUserId differs from appUserId")
        }
        guard
            try optionalID(session["organizationId"], "agentSession.organizationId") ?? organizationID
                == organizationID
        else {
            throw Invalid("agentSession.organizationId differs from organizationId")
        }
        _ = try optionalID(fields["oauthClientId"], "oauthClientId")
        var issue: IssueRef?
        if let given = try optionalObject(session["issue"], "agentSession.issue") {
            let issueID = try id(given["id"], "agentSession.issue.id")
            guard let identifier = given["identifier"]?.stringValue, IssueIdentifier.isValid(identifier) else {
                throw Invalid("agentSession.issue.identifier must be an issue identifier such as ENG-123")
            }
            guard try optionalID(session["issueId"], "agentSession.issueId") ?? issueID == issueID else {
                throw Invalid("agentSession.issueId differs from agentSession.issue.id")
            }
            issue = IssueRef(
                id: issueID, identifier: identifier,
                title: try text(given["title"], "agentSession.issue.title", limit: 4096) ?? "",
                description: try text(given["description"], "agentSession.issue.description"),
                url: try text(given["url"], "agentSession.issue.url", limit: 2048))
        } else if session["issueId"] != nil, session["issueId"] != .null {
            throw Invalid("agentSession.issueId is set without agentSession.issue")
        }
        var comment: CommentRef?
        if let given = try optionalObject(session["comment"], "agentSession.comment") {
            comment = try Self.comment(given, "agentSession.comment")
        }
        var creator: String?
        if let given = try optionalObject(session["creator"], "agentSession.creator") {
            creator = try text(given["name"], "agentSession.creator.name", limit: 256)
        }
        var guidance: [String] = []
        for (n, rule) in try list(fields["guidance"], "guidance").enumerated() {
            guard let body = try text(rule["body"], "guidance[\(n)].body") else {
                throw Invalid("guidance[\(n)].body must be a string")
            }
            guidance.append(body)
        }
        var previous: [CommentRef] = []
        // Linear sends the thread's earlier comments; a long thread keeps its newest 100 rather than
        // refusing the delivery (which Linear would retry, leaving the session unanswered).
        for (n, item) in try list(fields["previousComments"], "previousComments", keepLast: true).enumerated() {
            guard let object = item.objectValue else { throw Invalid("previousComments[\(n)] must be an object") }
            previous.append(try Self.comment(object, "previousComments[\(n)]"))
        }
        var prompt: Prompt?
        if let activity = try optionalObject(fields["agentActivity"], "agentActivity") {
            let activityID = try id(activity["id"], "agentActivity.id")
            guard try optionalID(activity["agentSessionId"], "agentActivity.agentSessionId") ?? sessionID == sessionID
            else {
                throw Invalid("agentActivity.agentSessionId differs from agentSession.id")
            }
            guard let content = activity["content"]?.objectValue else {
                throw Invalid("agentActivity.content must be an object")
            }
            var signal: String?
            if let given = activity["signal"], given != .null {
                guard let name = given.stringValue, signals.contains(name) else {
                    throw Invalid("agentActivity.signal must be one of auth, continue, select, stop")
                }
                signal = name
            }
            if action == .prompted {
                guard content["type"]?.stringValue == "prompt" else {
                    throw Invalid("agentActivity.content.type must be \"prompt\" on a prompted delivery")
                }
                guard let body = try text(content["body"], "agentActivity.content.body") else {
                    throw Invalid("agentActivity.content.body must be a string")
                }
                prompt = Prompt(activityID: activityID, body: body, signal: signal)
            }
        } else if action == .prompted {
            throw Invalid("a prompted delivery needs its \"agentActivity\"")
        }
        return AgentSessionEvent(
            action: action, sessionID: sessionID, appUserID: appUserID, organizationID: organizationID, issue: issue,
            comment: comment, creator: creator,
            promptContext: try text(fields["promptContext"], "promptContext"), guidance: guidance,
            previousComments: previous, prompt: prompt)
    }

    static func comment(_ object: [String: JSONValue], _ name: String) throws(Invalid) -> CommentRef {
        let id = try id(object["id"], "\(name).id")
        guard let body = try text(object["body"], "\(name).body") else {
            throw Invalid("\(name).body must be a string")
        }
        return CommentRef(id: id, body: body)
    }

    static func id(_ value: JSONValue?, _ name: String) throws(Invalid) -> String {
        guard let id = try optionalID(value, name) else { throw Invalid("missing string \"\(name)\"") }
        return id
    }

    static func optionalID(_ value: JSONValue?, _ name: String) throws(Invalid) -> String? {
        guard let value, value != .null else { return nil }
        guard let id = value.stringValue, !id.isEmpty, id.utf8.count <= maxIDBytes else {
            throw Invalid("\(name) must be a string of 1 to \(maxIDBytes) bytes")
        }
        return id
    }

    static func text(_ value: JSONValue?, _ name: String, limit: Int = maxTextCodePoints) throws(Invalid) -> String? {
        guard let value, value != .null else { return nil }
        guard let text = value.stringValue else { throw Invalid("\(name) must be a string") }
        guard text.codePointCount <= limit else { throw Invalid("\(name) is longer than \(limit) characters") }
        return text
    }

    static func optionalObject(_ value: JSONValue?, _ name: String) throws(Invalid) -> [String: JSONValue]? {
        guard let value, value != .null else { return nil }
        guard let object = value.objectValue else { throw Invalid("\(name) must be an object") }
        return object
    }

    static func list(_ value: JSONValue?, _ name: String, keepLast: Bool = false) throws(Invalid) -> [JSONValue] {
        guard let value, value != .null else { return [] }
        guard let items = value.arrayValue else { throw Invalid("\(name) must be an array") }
        if keepLast { return Array(items.suffix(maxListCount)) }
        guard items.count <= maxListCount else { throw Invalid("\(name) has more than \(maxListCount) entries") }
        return items
    }
}

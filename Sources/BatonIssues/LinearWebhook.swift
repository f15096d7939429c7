import BatonCore
import BatonCrypto
import BatonJSON
import BatonJobs
import BatonTemplates

/// Linear's webhook deliveries: the signature check and the payload's meaning (`WebhookInbox`
/// stores each delivery before it is answered and processes it afterwards).
public enum LinearWebhook {
    /// `Linear-Signature`: hex HMAC-SHA256 of the raw body under the webhook's secret; either the
    /// current or the previous secret (during rotation) is accepted, compared in constant time.
    public static func verify(signature: String?, body: [UInt8], secrets: [String]) -> Bool {
        guard let signature, let given = Hex.decode(signature.lowercased()), given.count == 32 else { return false }
        var matched = false
        for secret in secrets where !secret.isEmpty {
            // Every secret is checked, so the time does not say which one matched.
            if ConstantTime.equals(HMACSHA256.authenticate(body, key: Array(secret.utf8)), given) { matched = true }
        }
        return matched
    }

    public static func sign(_ body: [UInt8], secret: String) -> String {
        Hex.encode(HMACSHA256.authenticate(body, key: Array(secret.utf8)))
    }

    /// A delivery as Linear shapes it, for `baton webhook send`, benchmarks and tests.
    public static func issuePayload(_ issue: TrackedIssue, action: String = "create", timestampMs: Int64) -> JSONValue {
        let team = String(issue.identifier.prefix { $0 != "-" })
        let data: JSONValue = [
            "id": .string(issue.trackerID ?? "baton-\(issue.identifier.lowercased())"),
            "identifier": .string(issue.identifier), "title": .string(issue.title),
            "description": .string(issue.description), "priority": .int(Int64(issue.priority)),
            "state": ["name": .string(issue.state)], "labels": .array(issue.labels.map { ["name": .string($0)] }),
            "team": ["key": .string(team)], "url": issue.url.map(JSONValue.string) ?? .null,
            "createdAt": .string(issue.createdAt ?? Timestamp.format(milliseconds: timestampMs)),
            "project": issue.project.map { ["slugId": .string($0)] } ?? .null,
        ]
        return [
            "action": .string(action), "type": "Issue", "data": data,
            "createdAt": .string(Timestamp.format(milliseconds: timestampMs)),
            "webhookTimestamp": .int(timestampMs),
        ]
    }

    public static func commentPayload(issue identifier: String, body: String, timestampMs: Int64) -> JSONValue {
        [
            "action": "create", "type": "Comment",
            "data": [
                "id": .string("baton-comment-\(timestampMs)"), "body": .string(body),
                "issue": ["identifier": .string(identifier)],
            ],
            "createdAt": .string(Timestamp.format(milliseconds: timestampMs)), "webhookTimestamp": .int(timestampMs),
        ]
    }

    /// An `AgentSessionEvent` in Linear's shape (`AgentSessionEventWebhookPayload`, SPEC §9.15):
    /// `created` for a delegation or a mention of `issue`, `prompted` with the user's `prompt`
    /// (and `signal`, such as `stop`).
    public static func agentSessionPayload(
        action: String = "created", sessionID: String, issue: TrackedIssue?, comment: String? = nil,
        promptContext: String? = nil, prompt: String? = nil, signal: String? = nil,
        appUserID: String = "baton-app-user", organizationID: String = "baton-organization", timestampMs: Int64
    ) -> JSONValue {
        let at = JSONValue.string(Timestamp.format(milliseconds: timestampMs))
        var session: [String: JSONValue] = [
            "id": .string(sessionID), "appUserId": .string(appUserID), "organizationId": .string(organizationID),
            "status": action == "created" ? "pending" : "active", "type": "commentThread", "createdAt": at,
            "updatedAt": at,
        ]
        if let issue {
            let team = String(issue.identifier.prefix { $0 != "-" })
            let id = issue.trackerID ?? "baton-\(issue.identifier.lowercased())"
            session["issueId"] = .string(id)
            session["issue"] = [
                "id": .string(id), "identifier": .string(issue.identifier), "title": .string(issue.title),
                "description": .string(issue.description),
                "url": .string(issue.url ?? "https://linear.app/issue/\(issue.identifier)"),
                "teamId": .string("team-\(team.lowercased())"),
                "team": ["id": .string("team-\(team.lowercased())"), "key": .string(team), "name": .string(team)],
            ]
        }
        if let comment {
            session["commentId"] = .string("comment-\(sessionID)")
            session["comment"] = ["id": .string("comment-\(sessionID)"), "body": .string(comment)]
        }
        var payload: [String: JSONValue] = [
            "type": "AgentSessionEvent", "action": .string(action), "createdAt": at,
            "organizationId": .string(organizationID), "oauthClientId": "baton-oauth-client",
            "appUserId": .string(appUserID), "webhookId": "baton-webhook", "webhookTimestamp": .int(timestampMs),
            "agentSession": .object(session),
        ]
        if let promptContext { payload["promptContext"] = .string(promptContext) }
        if action == "prompted" {
            var activity: [String: JSONValue] = [
                "id": .string("prompt-\(timestampMs)"), "agentSessionId": .string(sessionID),
                "content": ["type": "prompt", "body": .string(prompt ?? "")], "createdAt": at, "updatedAt": at,
                "userId": "user-1",
                "user": [
                    "id": "user-1", "name": "Ada Lovelace", "email": "ada@example.com",
                    "url": "https://linear.app/u/ada",
                ],
            ]
            if let signal { activity["signal"] = .string(signal) }
            payload["agentActivity"] = .object(activity)
        }
        return .object(payload)
    }

    /// What a delivery asks of Baton.
    public enum Effect: Sendable, Equatable {
        case upsert(TrackedIssue)
        case remove(identifier: String)
        /// `issue` is the identifier when the payload names it, else Linear's issue id.
        case comment(issue: String?, issueID: String?, body: String)
        /// `AgentSessionEvent` `created` or `prompted`, in agent mode (SPEC §9.15).
        case agentSession(AgentSessionEvent)
        /// A type (or, of `Issue` and `Comment`, an action) Baton does not act on: answered 200,
        /// stored as processed with the outcome `ignored: <what>` (the type, or type and action).
        case ignored(String)
    }

    public struct Delivery: Sendable, Equatable {
        public var type: String
        public var action: String
        public var timestampMs: Int64?
        public var effect: Effect
    }

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Reads a delivery: `{action, type, data, webhookTimestamp, …}` in Linear's shapes. Only
    /// the deliveries Baton acts on (`Issue` create/update/remove, `Comment` create) need `action`
    /// and `data`, and with `agentSessions` (agent mode, `tracker.agent.enabled`)
    /// `AgentSessionEvent` `created`/`prompted` its `agentSession` (`AgentSessionEvent.parse`);
    /// any other type (IssueSLA carries `issueData`, some none at all) needs only its `type` and
    /// is `.ignored`, so Linear never counts it failed.
    public static func parse(_ body: [UInt8], agentSessions: Bool = false) throws(Invalid) -> Delivery {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw Invalid("the body is not JSON: \(error)")
        }
        guard let fields = value.objectValue else { throw Invalid("the body must be a JSON object") }
        guard let type = fields["type"]?.stringValue, !type.isEmpty else { throw Invalid("missing field \"type\"") }
        let action = fields["action"]?.stringValue ?? ""
        var timestamp: Int64?
        if let given = fields["webhookTimestamp"], given != .null {
            guard let ms = milliseconds(given) else {
                throw Invalid("webhookTimestamp must be a time in milliseconds since 1970 (before the year 10000)")
            }
            timestamp = ms
        }
        let effect: Effect
        switch (type, action) {
        case ("Issue", "create"), ("Issue", "update"), ("Issue", "remove"), ("Comment", "create"):
            guard let data = fields["data"]?.objectValue else { throw Invalid("missing object \"data\"") }
            switch (type, action) {
            case ("Issue", "remove"):
                effect = .remove(identifier: try identifier(data))
            case ("Issue", _):
                effect = .upsert(try issue(data))
            default:
                guard let text = data["body"]?.stringValue else { throw Invalid("a comment needs data.body") }
                let issue = data["issue"]?.objectValue
                effect = .comment(
                    issue: issue?["identifier"]?.stringValue,
                    issueID: data["issueId"]?.stringValue ?? issue?["id"]?.stringValue,
                    body: text)
            }
        case ("AgentSessionEvent", "created") where agentSessions,
            ("AgentSessionEvent", "prompted") where agentSessions:
            effect = .agentSession(
                try AgentSessionEvent.parse(action: action == "created" ? .created : .prompted, fields))
        case ("Issue", _), ("Comment", _):
            effect = .ignored(action.isEmpty ? type : "\(type) \(action)")
        default:
            effect = .ignored(type)
        }
        return Delivery(type: type, action: action, timestampMs: timestamp, effect: effect)
    }

    static func identifier(_ data: [String: JSONValue]) throws(Invalid) -> String {
        guard let identifier = data["identifier"]?.stringValue, IssueIdentifier.isValid(identifier) else {
            throw Invalid("data.identifier must be an issue identifier such as ENG-123")
        }
        return identifier
    }

    /// Linear's priority (a Float in its API): a number 0–4, a fraction dropped; absent, null or
    /// not a number is 0 (none); any other number is nil, for the caller to refuse or skip.
    public static func priority(_ value: JSONValue?) -> Int? {
        guard let d = value?.doubleValue else { return 0 }
        guard d >= 0, d < 5 else { return nil }
        return Int(d)
    }

    /// A webhook's `webhookTimestamp`: epoch milliseconds (a fraction dropped) from 1970 to the
    /// year 9999, else nil. Checked, not converted with `Int64(_:)`, which traps on `1e19`.
    public static func milliseconds(_ value: JSONValue) -> Int64? {
        guard let d = value.doubleValue, d >= 0, d < 253_402_300_800_000 else { return nil }
        return value.intValue ?? Int64(d)
    }

    /// An Issue payload's `data`: identifier, title, state {name}, priority, labels [{name}], …
    public static func issue(_ data: [String: JSONValue]) throws(Invalid) -> TrackedIssue {
        let identifier = try identifier(data)
        guard let state = data["state"]?["name"]?.stringValue ?? data["state"]?.stringValue, !state.isEmpty else {
            throw Invalid("data.state.name is missing")
        }
        guard let priority = priority(data["priority"]) else { throw Invalid("data.priority must be 0 to 4") }
        let labels = (data["labels"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue ?? $0.stringValue }
        let title = data["title"]?.stringValue ?? ""
        let description = data["description"]?.stringValue ?? ""
        guard title.codePointCount <= 4096, description.codePointCount <= 262_144, labels.count <= 100 else {
            throw Invalid("the issue's title, description or labels are too large")
        }
        return TrackedIssue(
            identifier: identifier, trackerID: data["id"]?.stringValue, title: title, description: description,
            state: state, priority: priority, labels: labels, url: data["url"]?.stringValue,
            createdAt: data["createdAt"]?.stringValue,
            project: data["project"]?["slugId"]?.stringValue.flatMap { $0.utf8.count <= 256 ? $0 : nil })
    }
}

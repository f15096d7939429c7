import BatonCrypto
import BatonJSON

/// What an agent session shows in Linear (SPEC §9.15): one activity's content, in Linear's
/// `AgentActivityCreateInput.content` shapes (`{type, body}`, or `{type: "action", action,
/// parameter, result?}` for a tool call or a command).
public enum AgentActivityContent: Sendable, Equatable {
    case thought(String)
    case action(action: String, parameter: String, result: String?)
    case elicitation(String)
    case response(String)
    case error(String)

    /// Linear's `AgentActivityType` of this content.
    public var type: String {
        switch self {
        case .thought: "thought"
        case .action: "action"
        case .elicitation: "elicitation"
        case .response: "response"
        case .error: "error"
        }
    }

    /// The `content` object Linear's `agentActivityCreate` takes.
    public var json: JSONValue {
        switch self {
        case .thought(let body), .elicitation(let body), .response(let body), .error(let body):
            ["type": .string(type), "body": .string(body)]
        case .action(let action, let parameter, let result):
            if let result {
                [
                    "type": "action", "action": .string(action), "parameter": .string(parameter),
                    "result": .string(result),
                ]
            } else {
                ["type": "action", "action": .string(action), "parameter": .string(parameter)]
            }
        }
    }

    /// Reads `json` back (a stored outbox row's content); nil for anything else.
    public init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue else { return nil }
        if type == "action" {
            guard let action = json["action"]?.stringValue, let parameter = json["parameter"]?.stringValue else {
                return nil
            }
            self = .action(action: action, parameter: parameter, result: json["result"]?.stringValue)
            return
        }
        guard let body = json["body"]?.stringValue else { return nil }
        switch type {
        case "thought": self = .thought(body)
        case "elicitation": self = .elicitation(body)
        case "response": self = .response(body)
        case "error": self = .error(body)
        default: return nil
        }
    }
}

/// Where a session's activities go: Linear's agent API (BatonLinear's `LinearAgentChannel`), so
/// the domain never speaks HTTP. Every call may be repeated with the same activity id.
public protocol AgentSessionChannel: Sendable {
    /// Creates the activity `id` (Baton's, a UUID v4) in session `sessionID`.
    func createActivity(id: String, sessionID: String, content: AgentActivityContent, ephemeral: Bool) async throws
    /// Whether an activity with this id exists already (asked before a resend whose first try's
    /// outcome is unknown, so a retry never creates it twice).
    func activityExists(id: String) async throws -> Bool
    /// Links the session to Baton's page for its issue.
    func setExternalURL(sessionID: String, label: String, url: String) async throws
    /// Baton begins work on a delegated issue (Linear's guidance for agents): an issue not in a
    /// `started`, `completed` or `canceled` state moves to its team's first `started` state, and
    /// the app user becomes its delegate when it has none. Returns what it changed, in words.
    func startWork(issueID: String, appUserID: String) async throws -> String
}

/// What a channel's failure says about trying again (a channel's errors may conform).
public protocol AgentChannelFailure: Error {
    /// Refused for the rate: nothing was created; try again at this time (epoch ms) when known.
    var rateLimitedUntilMs: Int64?? { get }
    /// Trying the same request again cannot succeed (a malformed request, an unknown session).
    var isPermanent: Bool { get }
}

/// Baton's ids for the activities it creates: UUID v4, the format Linear's create inputs take.
public enum AgentActivityID {
    public static func make() -> String {
        var bytes = SecureRandom.bytes(16)
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = Hex.encode(bytes)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(
                hex[
                    hex.index(
                        hex.startIndex, offsetBy: range.lowerBound)..<hex.index(
                            hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }
}

import BatonIssues
import BatonJSON

/// A session's activities and links sent to Linear's agent API (SPEC §9.15) with the app's
/// token (`actor=app`, so they come from Baton's app user).
public struct LinearAgentChannel: AgentSessionChannel {
    public let client: LinearClient

    public init(client: LinearClient) { self.client = client }

    public func createActivity(id: String, sessionID: String, content: AgentActivityContent, ephemeral: Bool)
        async throws
    {
        var input: [String: JSONValue] = [
            "id": .string(id), "agentSessionId": .string(sessionID), "content": content.json,
        ]
        if ephemeral { input["ephemeral"] = true }
        let data = try await client.execute(LinearDocuments.agentActivityCreate, variables: ["input": .object(input)])
        guard data["agentActivityCreate"]?["success"]?.boolValue == true else {
            throw LinearError.graphQL(["agentActivityCreate did not succeed"])
        }
    }

    public func activityExists(id: String) async throws -> Bool {
        do {
            let data = try await client.execute(LinearDocuments.agentActivity, variables: ["id": .string(id)])
            return data["agentActivity"]?["id"]?.stringValue == id
        } catch {
            // Linear answers an unknown id with the error "Entity not found: AgentActivity".
            if case .graphQL(let messages) = error, messages.contains(where: { $0.lowercased().contains("not found") })
            {
                return false
            }
            throw error
        }
    }

    public func startWork(issueID: String, appUserID: String) async throws -> String {
        let data = try await client.execute(LinearDocuments.agentIssue, variables: ["id": .string(issueID)])
        guard let issue = data["issue"], let type = issue["state"]?["type"]?.stringValue else {
            throw LinearError.malformed("issue.state.type is missing")
        }
        var input: [String: JSONValue] = [:]
        var said: [String] = []
        if !["started", "completed", "canceled"].contains(type) {
            // The first started state is the one with the lowest position.
            let states = (issue["team"]?["states"]?["nodes"]?.arrayValue ?? []).compactMap {
                node -> (id: String, name: String, position: Double)? in
                guard let id = node["id"]?.stringValue else { return nil }
                return (id, node["name"]?.stringValue ?? id, node["position"]?.doubleValue ?? 0)
            }
            if let first = states.min(by: { $0.position < $1.position }) {
                input["stateId"] = .string(first.id)
                said.append("moved to \(first.name)")
            }
        }
        if issue["delegate"] == nil || issue["delegate"] == .null {
            input["delegateId"] = .string(appUserID)
            said.append("delegated to Baton")
        }
        guard !input.isEmpty else { return "nothing to change" }
        let updated = try await client.execute(
            LinearDocuments.issueUpdate, variables: ["id": .string(issueID), "input": .object(input)])
        guard updated["issueUpdate"]?["success"]?.boolValue == true else {
            throw LinearError.graphQL(["issueUpdate did not succeed"])
        }
        return said.joined(separator: ", ")
    }

    public func setExternalURL(sessionID: String, label: String, url: String) async throws {
        let data = try await client.execute(
            LinearDocuments.agentSessionUpdate,
            variables: [
                "id": .string(sessionID), "input": ["externalUrls": [["label": .string(label), "url": .string(url)]]],
            ])
        guard data["agentSessionUpdate"]?["success"]?.boolValue == true else {
            throw LinearError.graphQL(["agentSessionUpdate did not succeed"])
        }
    }
}

/// How the agent activity sender treats Linear's answers (SPEC §9.15): a rate limit waits for its
/// reset and is not a try; an answer that is not Linear's, or a 4xx without GraphQL errors (but
/// 408 and 429), cannot succeed on a retry; the rest can (GraphQL errors come with 5xx answers
/// too, so they are retried until the give-up rule; no answer; a refused token, renewed).
extension LinearError: AgentChannelFailure {
    public var rateLimitedUntilMs: Int64?? {
        if case .rateLimited(let reset) = self { return .some(reset) }
        return nil
    }

    public var isPermanent: Bool {
        switch self {
        case .malformed: true
        case .http(let status, _): (400..<500).contains(status) && status != 408 && status != 429
        case .graphQL, .rateLimited, .unauthorized, .transport: false
        }
    }
}

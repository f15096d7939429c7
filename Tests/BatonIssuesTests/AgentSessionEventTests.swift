import BatonJSON
import Testing

@testable import BatonCore
@testable import BatonIssues

/// `AgentSessionEvent.parse` through `LinearWebhook.parse` (SPEC §9.15, §10): Linear's shape
/// read strictly in agent mode, ignored outside it.
@Suite struct AgentSessionEventTests {
    static let issue = TrackedIssue(
        identifier: "ENG-7", trackerID: "issue-7", title: "Fix the redirect", description: "It loops.", state: "Todo",
        priority: 2, labels: [], url: "https://linear.app/acme/issue/ENG-7", createdAt: nil, project: nil)

    static func created() -> JSONValue {
        LinearWebhook.agentSessionPayload(
            sessionID: "session-1", issue: issue, comment: "@baton take this", promptContext: "<issue>ENG-7</issue>",
            timestampMs: 1_733_000_000_000)
    }

    /// `value` with the field at `path` set (nil removes it).
    static func with(_ value: JSONValue, _ path: [String], _ new: JSONValue?) -> JSONValue {
        guard case .object(var fields) = value, let first = path.first else { return new ?? .null }
        if path.count == 1 {
            fields[first] = new
        } else {
            fields[first] = with(fields[first] ?? [:], Array(path.dropFirst()), new)
        }
        return .object(fields)
    }

    static func parse(_ value: JSONValue, agentSessions: Bool = true) throws -> LinearWebhook.Delivery {
        try LinearWebhook.parse(Array(value.text.utf8), agentSessions: agentSessions)
    }

    @Test func createdIsReadInItsOwnShape() throws {
        var value = Self.created()
        value = Self.with(value, ["guidance"], [["body": "Run the tests.", "origin": ["type": "organization"]]])
        value = Self.with(value, ["previousComments"], [["id": "c-0", "body": "Earlier", "userId": "user-1"]])
        value = Self.with(
            value, ["agentSession", "creator"],
            ["id": "user-1", "name": "Ada", "email": "ada@example.com", "url": "https://linear.app/u/ada"])
        let delivery = try Self.parse(value)
        guard case .agentSession(let event) = delivery.effect else {
            Issue.record("not an agent session: \(delivery.effect)")
            return
        }
        #expect(delivery.type == "AgentSessionEvent" && delivery.action == "created")
        #expect(delivery.timestampMs == 1_733_000_000_000)
        #expect(event.action == .created && event.sessionID == "session-1")
        #expect(event.issue?.identifier == "ENG-7" && event.issue?.id == "issue-7")
        #expect(event.comment?.body == "@baton take this" && event.creator == "Ada")
        #expect(event.promptContext == "<issue>ENG-7</issue>" && event.guidance == ["Run the tests."])
        #expect(event.previousComments.map(\.body) == ["Earlier"] && event.prompt == nil)
    }

    @Test func promptedCarriesThePromptAndItsSignal() throws {
        let value = LinearWebhook.agentSessionPayload(
            action: "prompted", sessionID: "session-1", issue: Self.issue, prompt: "Stop now", signal: "stop",
            timestampMs: 1_733_000_000_000)
        guard case .agentSession(let event) = try Self.parse(value).effect else {
            Issue.record("not an agent session")
            return
        }
        #expect(event.action == .prompted && event.prompt?.body == "Stop now" && event.prompt?.signal == "stop")
    }

    /// Outside agent mode, and for actions Baton does not act on, it is one more ignored type,
    /// whatever its shape (Linear must never see a 4xx for it).
    @Test func outsideAgentModeOrAnotherActionItIsIgnored() throws {
        let broken = Self.with(Self.created(), ["agentSession"], "not an object")
        #expect(try Self.parse(broken, agentSessions: false).effect == .ignored("AgentSessionEvent"))
        let other = Self.with(Self.created(), ["action"], "updated")
        #expect(try Self.parse(other).effect == .ignored("AgentSessionEvent"))
    }

    @Test(
        arguments: [
            (["agentSession"], nil, "missing object \"agentSession\""),
            (["agentSession"], JSONValue.array([]), "missing object \"agentSession\""),
            (["agentSession", "id"], nil, "missing string \"agentSession.id\""),
            (["agentSession", "id"], JSONValue.int(7), "agentSession.id must be a string of 1 to 256 bytes"),
            (["agentSession", "id"], JSONValue.string(""), "agentSession.id must be a string of 1 to 256 bytes"),
            (["appUserId"], nil, "missing string \"appUserId\""),
            (
                ["agentSession", "issue", "identifier"], JSONValue.string("eng 7"),
                "agentSession.issue.identifier must be an issue identifier such as ENG-123"
            ),
            (["agentSession", "issue"], JSONValue.string("ENG-7"), "agentSession.issue must be an object"),
            (["agentSession", "issue", "title"], JSONValue.int(1), "agentSession.issue.title must be a string"),
            (["promptContext"], JSONValue.bool(true), "promptContext must be a string"),
            (["guidance"], JSONValue.object([:]), "guidance must be an array"),
            (["guidance"], JSONValue.array([["origin": [:]]]), "guidance[0].body must be a string"),
            (["previousComments"], JSONValue.array(["text"]), "previousComments[0] must be an object"),
            (["agentSession", "comment", "body"], nil, "agentSession.comment.body must be a string"),
        ] as [([String], JSONValue?, String)])
    func malformedFieldsAreRefused(path: [String], value: JSONValue?, message: String) {
        #expect(throws: LinearWebhook.Invalid(message)) { try Self.parse(Self.with(Self.created(), path, value)) }
    }

    /// Fields that repeat each other must agree: a payload that names two users, two
    /// organisations, two issues or two sessions is not Linear's.
    @Test(arguments: [
        (["agentSession", "appUserId"], "someone-else", "agentSession.appUserId differs from appUserId"),
        (["agentSession", "organizationId"], "org-2", "agentSession.organizationId differs from organizationId"),
        (["agentSession", "issueId"], "issue-8", "agentSession.issueId differs from agentSession.issue.id"),
    ])
    func conflictingFieldsAreRefused(path: [String], value: String, message: String) {
        #expect(throws: LinearWebhook.Invalid(message)) {
            try Self.parse(Self.with(Self.created(), path, .string(value)))
        }
    }

    @Test func aPromptMustBeAPromptOfThisSession() {
        let prompted = LinearWebhook.agentSessionPayload(
            action: "prompted", sessionID: "session-1", issue: Self.issue, prompt: "Go on", timestampMs: 1)
        #expect(throws: LinearWebhook.Invalid("agentActivity.agentSessionId differs from agentSession.id")) {
            try Self.parse(Self.with(prompted, ["agentActivity", "agentSessionId"], "session-2"))
        }
        #expect(throws: LinearWebhook.Invalid("a prompted delivery needs its \"agentActivity\"")) {
            try Self.parse(Self.with(prompted, ["agentActivity"], nil))
        }
        #expect(throws: LinearWebhook.Invalid("agentActivity.content.type must be \"prompt\" on a prompted delivery")) {
            try Self.parse(Self.with(prompted, ["agentActivity", "content", "type"], "thought"))
        }
        #expect(throws: LinearWebhook.Invalid("agentActivity.signal must be one of auth, continue, select, stop")) {
            try Self.parse(Self.with(prompted, ["agentActivity", "signal"], "halt"))
        }
    }

    /// Every text has a bound; lists have one too.
    @Test func oversizeFieldsAreRefused() {
        let long = String(repeating: "x", count: AgentSessionEvent.maxTextCodePoints + 1)
        #expect(throws: LinearWebhook.Invalid("promptContext is longer than 262144 characters")) {
            try Self.parse(Self.with(Self.created(), ["promptContext"], .string(long)))
        }
        let many = JSONValue.array(Array(repeating: ["body": "b"], count: AgentSessionEvent.maxListCount + 1))
        #expect(throws: LinearWebhook.Invalid("guidance has more than 100 entries")) {
            try Self.parse(Self.with(Self.created(), ["guidance"], many))
        }
        // A long comment thread is not refused (Linear would retry it for ever): its newest 100 are kept.
        let thread = JSONValue.array(
            (0...AgentSessionEvent.maxListCount).map { ["id": .string("c-\($0)"), "body": .string("comment \($0)")] })
        var kept: [String] = []
        if case .agentSession(let event)? = (try? Self.parse(Self.with(Self.created(), ["previousComments"], thread)))?
            .effect
        {
            kept = event.previousComments.map(\.body)
        }
        #expect(kept.count == AgentSessionEvent.maxListCount)
        #expect(kept.first == "comment 1" && kept.last == "comment 100")
        let longID = String(repeating: "a", count: AgentSessionEvent.maxIDBytes + 1)
        #expect(throws: LinearWebhook.Invalid("agentSession.id must be a string of 1 to 256 bytes")) {
            try Self.parse(Self.with(Self.created(), ["agentSession", "id"], .string(longID)))
        }
    }
}

import BatonJSON
import Testing

@testable import BatonCore
@testable import BatonIssues

/// `LinearWebhook.parse` on numbers no Int64 holds: each is refused with a message, never
/// converted with a trapping `Int64(_:)` (a trap would end this test process and fail the suite).
@Suite struct LinearWebhookTests {
    static func body(timestamp: String = "1733000000000", priority: String = "2") -> [UInt8] {
        Array(
            """
            {"action":"create","type":"Issue","webhookTimestamp":\(timestamp),
             "data":{"identifier":"ENG-1","title":"t","state":{"name":"Todo"},"priority":\(priority)}}
            """.utf8)
    }

    @Test(arguments: ["1e19", "-1e19", "1e300", "-1", "99999999999999999999", "9223372036854775807", "\"soon\""])
    func anOutOfRangeTimestampIsRefused(timestamp: String) {
        #expect(throws: LinearWebhook.Invalid.self) { try LinearWebhook.parse(Self.body(timestamp: timestamp)) }
    }

    @Test(arguments: ["1e19", "-1e19", "99999999999999999999", "-9223372036854775808", "5", "-0.5", "\"high\""])
    func anOutOfRangePriorityIsRefused(priority: String) throws {
        // A string is no number at all: none (0), as before; every other value is refused.
        if priority.hasPrefix("\"") {
            #expect(try LinearWebhook.parse(Self.body(priority: priority)).effect.issue?.priority == 0)
        } else {
            #expect(throws: LinearWebhook.Invalid("data.priority must be 0 to 4")) {
                try LinearWebhook.parse(Self.body(priority: priority))
            }
        }
    }

    @Test func wholeAndFractionalNumbersInRangeAreRead() throws {
        let delivery = try LinearWebhook.parse(Self.body(timestamp: "1733000000000.75", priority: "3.0"))
        #expect(delivery.timestampMs == 1_733_000_000_000 && delivery.effect.issue?.priority == 3)
        #expect(try LinearWebhook.parse(Self.body(timestamp: "1.733e12")).timestampMs == 1_733_000_000_000)
        #expect(try LinearWebhook.parse(Self.body(timestamp: "null")).timestampMs == nil)
        #expect(LinearWebhook.priority(nil) == 0 && LinearWebhook.priority(.null) == 0)
        #expect(LinearWebhook.priority(.double(4.9)) == 4 && LinearWebhook.priority(.double(5)) == nil)
    }

    /// Types Baton does not act on need only a type (and a timestamp, which the route checks):
    /// not `data`, not even an `action`. The types and actions Baton acts on still need theirs.
    @Test func typesBatonDoesNotActOnAreIgnoredWhateverTheirShape() throws {
        func parse(_ text: String) throws(LinearWebhook.Invalid) -> LinearWebhook.Delivery {
            try LinearWebhook.parse(Array(text.utf8))
        }
        let ignored: [(String, String)] = [
            (#"{"type":"IssueSLA","action":"breached","issueData":{"id":"x"},"webhookTimestamp":1}"#, "IssueSLA"),
            (#"{"type":"OAuthApp","action":"revoked","oauthClientId":"c","webhookTimestamp":1}"#, "OAuthApp"),
            (
                #"{"type":"AppUserNotification","action":"x","notification":{},"webhookTimestamp":1}"#,
                "AppUserNotification"
            ),
            (#"{"type":"AgentSessionEvent","action":"prompted","agentSession":{}}"#, "AgentSessionEvent"),
            (#"{"type":"CustomResource","action":"create","data":[1]}"#, "CustomResource"),
            (#"{"type":"Brand new"}"#, "Brand new"),
            (#"{"type":"Issue","action":"restore"}"#, "Issue restore"),
            (#"{"type":"Issue"}"#, "Issue"),
            (#"{"type":"Comment","action":"remove","data":{"id":"c"}}"#, "Comment remove"),
        ]
        for (body, what) in ignored {
            let delivery = try parse(body)
            #expect(delivery.effect == .ignored(what), "\(body)")
        }
        #expect(try parse(#"{"type":"OAuthApp","webhookTimestamp":1733000000000}"#).timestampMs == 1_733_000_000_000)
        #expect(throws: LinearWebhook.Invalid("missing object \"data\"")) {
            try parse(#"{"type":"Issue","action":"create"}"#)
        }
        #expect(throws: LinearWebhook.Invalid("missing object \"data\"")) {
            try parse(#"{"type":"Comment","action":"create","data":"x"}"#)
        }
        #expect(throws: LinearWebhook.Invalid("missing field \"type\"")) {
            try parse(#"{"action":"create","data":{}}"#)
        }
        #expect(throws: LinearWebhook.Invalid("missing field \"type\"")) { try parse(#"{"type":3}"#) }
        #expect(throws: LinearWebhook.Invalid.self) { try parse(#"{"type":"IssueSLA","webhookTimestamp":1e19}"#) }
    }
}

extension LinearWebhook.Effect {
    fileprivate var issue: TrackedIssue? {
        if case .upsert(let issue) = self { return issue }
        return nil
    }
}

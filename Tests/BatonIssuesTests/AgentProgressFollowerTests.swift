import BatonJSON
import Testing

@testable import BatonIssues

/// What a progress report tells a session: only what is new since the job's last report.
@Suite struct AgentProgressFollowerTests {
    typealias Seen = (commands: Int64, message: String?)

    static func activities(_ progress: JSONValue, _ before: Seen) -> ([String], Seen) {
        let (out, now) = AgentProgressFollower.activities(progress: progress, before: before)
        return (
            out.map { content, ephemeral in
                "\(content.type)\(ephemeral ? " (ephemeral)" : ""): "
                    + (content.json["parameter"]?.stringValue ?? content.json["body"]?.stringValue ?? "")
            }, now
        )
    }

    @Test func newCommandsAreActionsAndNewMessagesEphemeralThoughts() {
        let (first, seen) = Self.activities(
            ["commands": 1, "last_command": "ls", "recent_messages": ["Looking around"]], (0, nil))
        #expect(first == ["action: ls", "thought (ephemeral): Looking around"])
        #expect(seen.commands == 1 && seen.message == "Looking around")
        // Nothing new: nothing told.
        let (again, _) = Self.activities(
            ["commands": 1, "last_command": "ls", "recent_messages": ["Looking around"]], seen)
        #expect(again.isEmpty)
        // Three more commands in one batch: the last, and how many more.
        let (batch, _) = Self.activities(
            ["commands": 4, "last_command": "swift test", "recent_messages": ["Looking around"]], seen)
        #expect(batch == ["action: swift test (and 2 more)"])
    }

    @Test func longCommandsAndMessagesAreTruncated() {
        let command = String(repeating: "c", count: 1000)
        let message = String(repeating: "m", count: 5000)
        let (out, _) = Self.activities(
            ["commands": 1, "last_command": .string(command), "recent_messages": [.string(message)]], (0, nil))
        #expect(out.map(\.count) == [8 + AgentProgressFollower.maxParameter, 21 + AgentProgressFollower.maxThought])
        #expect(out.allSatisfy { $0.hasSuffix("…") })
    }

    @Test func blankMessagesAndReportsWithoutCountsTellNothing() {
        let (out, seen) = Self.activities(["recent_messages": ["   "], "turn": 2], (3, "earlier"))
        #expect(out.isEmpty && seen.commands == 3 && seen.message == "   ")
    }
}

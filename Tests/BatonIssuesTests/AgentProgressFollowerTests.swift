import BatonJSON
import Testing

@testable import BatonIssues

/// What a progress report tells a session: only what is new since the job's last report.
@Suite struct AgentProgressFollowerTests {
    typealias Seen = AgentProgressFollower.Seen

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
            ["commands": 1, "last_command": "ls", "recent_messages": ["Looking around"]], Seen())
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

    /// A command whose outcome the batch knows carries it as the action's result: its status, and
    /// its output only where the operator chose to share it with the Linear workspace.
    @Test func aCommandsResultIsTheActionsResult() {
        let progress: JSONValue = [
            "commands": 1, "last_command": "cat .env", "last_command_result": "exit 0: TOKEN=lin_api_secret",
        ]
        let (kept, _) = AgentProgressFollower.activities(progress: progress, before: Seen())
        #expect(kept.map(\.0) == [.action(action: "Ran", parameter: "cat .env", result: "exit 0")])
        let (shared, _) = AgentProgressFollower.activities(progress: progress, before: Seen(), shareOutput: true)
        #expect(
            shared.map(\.0) == [.action(action: "Ran", parameter: "cat .env", result: "exit 0: TOKEN=lin_api_secret")])
    }

    /// Counts are a worker's word: numbers that would overflow the arithmetic are not counts.
    @Test func countsOutsideTheirRangeAreIgnored() {
        for (tools, commands) in [(Int64.min, Int64(1)), (Int64.max, Int64(-1)), (Int64.max, Int64.min)] {
            let (out, seen) = Self.activities(
                ["commands": .int(commands), "tool_calls": .int(tools), "last_command": "ls", "last_tool": "edit"],
                Seen(commands: 2, tools: 3))
            #expect(out.isEmpty)
            #expect(seen.commands == 2 && seen.tools == 3)
        }
    }

    /// Tool calls that are not commands (a file edit, an MCP tool) are actions too.
    @Test func otherToolCallsAreActions() {
        let (out, seen) = Self.activities(
            ["commands": 1, "tool_calls": 4, "last_command": "ls", "last_tool": "edit Sources/App.swift"],
            Seen(commands: 1, tools: 1))
        #expect(out == ["action: edit Sources/App.swift (and 1 more)"])
        #expect(seen.tools == 3 && seen.commands == 1)
    }

    @Test func longCommandsAndMessagesAreTruncated() {
        let command = String(repeating: "c", count: 1000)
        let message = String(repeating: "m", count: 5000)
        let (out, _) = Self.activities(
            ["commands": 1, "last_command": .string(command), "recent_messages": [.string(message)]], Seen())
        #expect(out.map(\.count) == [8 + AgentProgressFollower.maxParameter, 21 + AgentProgressFollower.maxThought])
        #expect(out.allSatisfy { $0.hasSuffix("…") })
    }

    @Test func blankMessagesAndReportsWithoutCountsTellNothing() {
        let (out, seen) = Self.activities(
            ["recent_messages": ["   "], "turn": 2], Seen(commands: 3, message: "earlier"))
        #expect(out.isEmpty && seen.commands == 3 && seen.message == "   ")
    }
}

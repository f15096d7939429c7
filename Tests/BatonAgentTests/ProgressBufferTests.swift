import BatonJSON
import Testing

@testable import BatonAgent

/// The progress document a worker reports (SPEC §7.4): counts, the last command and the last
/// other tool call, which a Linear agent session shows as actions (SPEC §9.15).
@Suite struct ProgressBufferTests {
    @Test func commandsAndOtherToolCallsAreCountedAndTheLastOfEachKept() throws {
        let buffer = ProgressBuffer()
        #expect(buffer.takeIfChanged() == nil)
        buffer.record(.command("swift build"))
        buffer.record(.toolCall("edit Sources/App.swift"))
        buffer.record(.toolCall(String(repeating: "t", count: 600)))
        buffer.record(.message("Building"))
        let (progress, _) = try #require(buffer.takeIfChanged())
        #expect(progress["commands"] == 1 && progress["tool_calls"] == 3)
        #expect(progress["last_command"] == "swift build")
        #expect(progress["last_tool"]?.stringValue?.count == 500)
        #expect(progress["recent_messages"] == ["Building"])
        #expect(buffer.takeIfChanged() == nil)
    }

    /// A command's result belongs to it: the next command clears it until its own result comes.
    @Test func aCommandsResultIsKeptUntilTheNextCommand() throws {
        let buffer = ProgressBuffer()
        buffer.record(.command("swift test"))
        buffer.record(.commandResult(exitCode: 1, output: "error: 2 tests failed\n"))
        #expect(try #require(buffer.takeIfChanged()).0["last_command_result"] == "exit 1: error: 2 tests failed\n")
        buffer.record(.command("ls"))
        #expect(try #require(buffer.takeIfChanged()).0["last_command_result"] == nil)
        buffer.record(.commandResult(exitCode: 0, output: String(repeating: "x", count: 800) + "END"))
        let result = try #require(buffer.takeIfChanged()).0["last_command_result"]?.stringValue
        #expect(result?.hasPrefix("exit 0: …") == true && result?.hasSuffix("END") == true)
        #expect(result.map { $0.count <= 520 } == true)
    }
}

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
}

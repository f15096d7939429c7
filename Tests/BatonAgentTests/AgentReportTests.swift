import BatonJSON
import Testing

@testable import BatonAgent

@Suite struct AgentReportTests {
    @Test func theReportCarriesEveryKindOfToken() {
        var report = AgentReport(agent: "codex")
        report.usage = TokenUsage(input: 100, cachedInput: 40, cacheCreationInput: 3, output: 20, reasoningOutput: 5)
        report.ranCommand("make test")
        report.usedTool("webSearch")
        let json = report.json()
        #expect(
            json["usage"] == [
                "input": 100, "cached_input": 40, "cache_creation_input": 3, "output": 20, "reasoning_output": 5,
            ])
        #expect(json["commands"] == ["make test"] && json["tools"] == ["command": 1, "webSearch": 1])
        #expect(json["truncated"] == false)
    }

    /// A report that would not fit the coordinator's limit is cut, oldest commands first, and says so.
    @Test func anOversizeReportIsTrimmedToTheLimit() {
        var report = AgentReport(agent: "claude-code")
        for i in 0..<2000 { report.ranCommand("echo \(i) " + String(repeating: "x", count: 100)) }
        for i in 0..<500 { report.filesChanged.append(FileChange("file\(i).txt", .added)) }
        report.finalMessage = String(repeating: "m", count: 5000)
        let json = report.json(limit: 60_000)
        #expect(json.text.utf8.count <= 60_000)
        #expect(json["truncated"] == true)
        let commands = json["commands"]?.arrayValue ?? []
        #expect(!commands.isEmpty && commands.last?.stringValue?.hasPrefix("echo 1999 ") == true)
    }

    @Test func longItemsAreClippedWithoutBreakingCharacters() {
        let long = String(repeating: "é", count: 1500)
        let clipped = AgentReport.clip(long)
        #expect(clipped.utf8.count <= AgentReport.maxItemBytes + 3 && clipped.hasSuffix("…"))
        #expect(!clipped.contains("\u{FFFD}"))
    }
}

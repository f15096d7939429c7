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

    /// Token counts come from the agents' and providers' JSON: a count no Int64 holds, a negative
    /// or fractional one is skipped or clamped, and totals stop at 2^53 − 1 instead of trapping on `+`
    /// (a trap would end this test process and fail the suite).
    @Test func tokenCountsFromOutsideAreCheckedAndTotalsCapped() throws {
        #expect(TokenUsage.count(.int(Int64.max)) == TokenUsage.maxCount)
        #expect(TokenUsage.count(.double(1e19)) == nil && TokenUsage.count(.double(2.5)) == nil)
        #expect(TokenUsage.count(.int(-5)) == 0 && TokenUsage.count("7") == nil && TokenUsage.count(nil) == nil)
        #expect(TokenUsage.count(.double(12)) == 12)
        #expect(TokenUsage.sum(TokenUsage.maxCount, TokenUsage.maxCount, TokenUsage.maxCount) == TokenUsage.maxCount)

        // Claude Code's result: per-model totals, each added up.
        var stream = ClaudeStream(report: AgentReport(agent: "claude-code"), maxAPIRetries: 3)
        var byModel: [String: JSONValue] = [:]
        for n in 0..<4 {
            byModel["model-\(n)"] = [
                "inputTokens": .int(Int64.max), "outputTokens": 1e300, "cacheReadInputTokens": .int(Int64.max),
                "cacheCreationInputTokens": .int(Int64.max), "thinkingTokens": -3,
            ]
        }
        _ = stream.absorb(["type": "result", "subtype": "success", "result": "done", "modelUsage": .object(byModel)])
        #expect(stream.report.usage.input == TokenUsage.maxCount && stream.report.usage.output == 0)
        #expect(stream.report.usage.reasoningOutput == 0)
        // Older versions: each run's usage added to the ones before.
        var older = ClaudeStream(report: AgentReport(agent: "claude-code"), maxAPIRetries: 3)
        for _ in 0..<3 {
            _ = older.absorb([
                "type": "result", "subtype": "success",
                "usage": ["input_tokens": .int(Int64.max), "output_tokens": .int(Int64.max / 2)],
            ])
        }
        #expect(older.report.usage.input == TokenUsage.maxCount && older.report.usage.output == TokenUsage.maxCount)
        // A retry's delay beyond Int64 is not said, not converted.
        let reason = ClaudeStream.retryReason(["attempt": 2, "retry_delay_ms": 1e300, "error": "overloaded"])
        #expect(reason == "attempt 2, overloaded")
        #expect(ClaudeStream.retryReason(["retry_delay_ms": 1500.7]) == "next in 1500 ms")

        // The HTTP providers' usage.
        let runner = HTTPProviderRunner(wire: .openai, baseURL: "http://127.0.0.1:9") { nil }
        let reply = try #require(
            runner.parse([
                "choices": [["message": ["content": "hi"]]],
                "usage": ["prompt_tokens": 1e19, "completion_tokens": .int(Int64.max)],
            ]))
        #expect(reply.input == 0 && reply.output == TokenUsage.maxCount)
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

import BatonTestSupport
import Testing

@testable import BatonAgent

@Suite struct DryRunRunnerTests {
    @Test func dryRunWritesThePromptAndSucceedsForFree() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let log = EventLog()
        let outcome = await DryRunRunner().run(
            CommandRunnerTests.task(dir, input: "details"), steer: AsyncStream { $0.finish() }, events: log.record)
        #expect(outcome.status == .succeeded && outcome.costUSD == 0)
        #expect(outcome.result?.contains("\(dir)/PROMPT.md") == true)
        #expect(try ChildProcess.run("/bin/cat", [dir + "/PROMPT.md"]).stdout == "Fix the bug\n\n---\n\ndetails\n")
        #expect(log.all.first == .turnStarted(1) && log.all.last == .turnEnded(1))
    }

    @Test func dryRunFailsClearlyWhenTheWorkspaceIsGone() async {
        let outcome = await DryRunRunner().run(
            CommandRunnerTests.task("/nonexistent-baton-dir"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("cannot write /nonexistent-baton-dir/PROMPT.md") == true)
    }
}

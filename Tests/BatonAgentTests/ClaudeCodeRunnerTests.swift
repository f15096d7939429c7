import BatonTestSupport
import Foundation
import Testing

@testable import BatonAgent

/// The runner against a script that prints Claude Code's stream-json lines (Fixtures/fake-claude).
@Suite struct ClaudeCodeRunnerTests {
    static let fake = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fake-claude").path

    static func task(_ workspace: String, prompt: String, maxTurns: Int = 5) -> AgentTask {
        AgentTask(jobID: 3, prompt: prompt, provider: "cc", model: "sonnet", workspace: workspace, maxTurns: maxTurns)
    }

    @Test func aRunReportsMessagesToolsUsageAndCost() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let log = EventLog()
        let outcome = await ClaudeCodeRunner(command: Self.fake).run(
            Self.task(dir, prompt: "Fix the login bug"), steer: AsyncStream { $0.finish() }, events: log.record)
        #expect(outcome.status == .succeeded)
        #expect(outcome.result == "echo: Fix the login bug")
        #expect(outcome.tokensInput == 150 && outcome.tokensOutput == 40)
        #expect(outcome.costUSD == 0.0125)
        #expect(log.all.contains(.message("Looking at it.")) && log.all.contains(.toolCall("Bash")))
        let args = try String(contentsOfFile: dir + "/args.log", encoding: .utf8)
        #expect(args == "-p --output-format stream-json --verbose --max-turns 5 --model sonnet\n")
    }

    @Test func anErrorResultFailsTheAttempt() async {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let outcome = await ClaudeCodeRunner(command: Self.fake).run(
            Self.task(dir, prompt: "FAIL please"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .failed)
        #expect(outcome.error == "claude-code: error_during_execution: the tool crashed")
    }

    /// A steering message that arrives during a turn becomes the next turn, resuming the session.
    @Test func steeringResumesTheSession() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let (steer, input) = AsyncStream<String>.makeStream()
        let log = EventLog()
        let run = Task {
            await ClaudeCodeRunner(command: Self.fake).run(
                Self.task(dir, prompt: "WAIT then fix"), steer: steer, events: log.record)
        }
        for _ in 0..<500 where !log.all.contains(.toolCall("Bash")) { try await Task.sleep(for: .milliseconds(10)) }
        input.yield("also update the changelog")
        let outcome = await run.value
        #expect(outcome.status == .succeeded)
        #expect(outcome.result == "echo: also update the changelog")
        #expect(log.all.contains(.turnStarted(2)))
        let args = try String(contentsOfFile: dir + "/args.log", encoding: .utf8).split(separator: "\n")
        #expect(args.count == 2 && args[1].hasSuffix("--resume sess-1"))
        #expect(outcome.tokensOutput == 80 && outcome.costUSD == 0.025)
    }

    @Test func cancellingKillsClaudeAtOnce() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let log = EventLog()
        let run = Task {
            await ClaudeCodeRunner(command: Self.fake).run(
                Self.task(dir, prompt: "SLEEP forever"), steer: AsyncStream { $0.finish() }, events: log.record)
        }
        for _ in 0..<500 where !log.all.contains(.toolCall("Bash")) { try await Task.sleep(for: .milliseconds(10)) }
        let start = Subprocess.monotonicSeconds()
        run.cancel()
        let outcome = await run.value
        #expect(outcome.error == "cancelled")
        #expect(Subprocess.monotonicSeconds() - start < 5)
    }

    @Test func aMissingExecutableFailsClearly() async {
        let outcome = await ClaudeCodeRunner(command: "/nonexistent/claude").run(
            Self.task("/tmp", prompt: "x"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("claude-code: exit status 127") == true)
    }
}

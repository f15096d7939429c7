import BatonJSON
import BatonTestSupport
import Foundation
import Testing

@testable import BatonAgent

/// The runner against the real Claude Code CLI (2.1.337 from claude-agent-sdk's wheel, installed
/// by `scripts/install-deps.sh --test`), whose model is a loopback FakeModelAPI speaking
/// Anthropic's Messages API. The fake decides each model step; the permissions, tools, session,
/// cost and errors are the CLI's own.
@Suite(.serialized) struct ClaudeCodeRunnerTests {
    static let key = "sk-ant-fake-key"

    /// A runner for Claude Code pointed at `baseURL`, with `home` (which the caller removes).
    static func runner(
        _ baseURL: String, home: TemporaryDirectory, settings: ClaudeCodeRunner.Settings = ClaudeCodeRunner.Settings()
    ) -> ClaudeCodeRunner {
        ClaudeCodeRunner(
            launch: AgentLaunch(
                command: RealAgents.claude, environment: RealAgents.claudeEnvironment(home: home, baseURL: baseURL),
                secret: { $0 == "$secret:anthropic_key" ? key : nil }),
            settings: settings)
    }

    static func task(_ workspace: String, prompt: String, model: String? = "sonnet", maxTurns: Int = 5) -> AgentTask {
        AgentTask(jobID: 3, prompt: prompt, provider: "cc", model: model, workspace: workspace, maxTurns: maxTurns)
    }

    static func run(
        _ fake: FakeModelAPI, prompt: String, model: String? = "sonnet",
        settings: ClaudeCodeRunner.Settings = ClaudeCodeRunner.Settings(), log: EventLog = EventLog()
    ) async throws -> (AgentOutcome, String) {
        #expect(RealAgents.missing() == nil, "\(RealAgents.missing() ?? "")")
        let base = try fake.start()
        let dir = temporaryDirectory()
        let home = RealAgents.home()
        defer { home.remove() }
        let outcome = await runner(base, home: home, settings: settings).run(
            task(dir, prompt: prompt, model: model), steer: AsyncStream { $0.finish() }, events: log.record)
        await fake.stop()
        return (outcome, dir)
    }

    /// The default permission mode (acceptEdits) lets the agent's Bash write in its workspace.
    @Test func aBashCommandWritesAFileAndTheRunReportsUsageCostAndModel() async throws {
        let fake = FakeModelAPI(.anthropicMessages) { request in
            request.continuesToolCall ? .text("Wrote hello.txt.") : .shell("echo hi > hello.txt")
        }
        let log = EventLog()
        let (outcome, dir) = try await Self.run(fake, prompt: "Create hello.txt", log: log)
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .succeeded, "\(outcome)")
        #expect(RealAgents.read(dir + "/hello.txt") == "hi\n")
        #expect(outcome.result == "Wrote hello.txt.")
        let report = try #require(outcome.report)
        #expect(report.commands == ["echo hi > hello.txt"] && log.all.contains(.command("echo hi > hello.txt")))
        // Its tool result follows it as the command's result (no exit code in Claude Code's stream).
        #expect(
            log.all.contains {
                if case .commandResult(exitCode: nil, let output) = $0 { !output.hasPrefix("(failed)") } else { false }
            },
            "\(log.all)")
        // Two model calls of 100 input (40 of them cached) and 20 output tokens each.
        #expect(report.usage.input == 200 && report.usage.cachedInput == 80 && report.usage.output == 40)
        #expect(outcome.tokensInput == 200 && outcome.tokensOutput == 40)
        // The alias resolved by the CLI, and its own price for what was used.
        #expect(outcome.model == "claude-sonnet-5-5")
        #expect((outcome.costUSD ?? 0) > 0)
        #expect(report.agentVersion == "2.1.337 (Claude Code)")
        #expect(fake.requests.first?.headers["x-api-key"] == Self.key)
    }

    /// Without a mode that allows writing, the CLI denies the tool and still ends "success": the
    /// attempt needs a person, with the reason, and is never completed.
    @Test func aPermissionDenialBlocksTheAttemptWithTheReason() async throws {
        let fake = FakeModelAPI(.anthropicMessages) { request in
            request.continuesToolCall ? .text("I could not write it.") : .shell("echo hi > hello.txt")
        }
        let log = EventLog()
        let (outcome, dir) = try await Self.run(
            fake, prompt: "Create hello.txt", settings: ClaudeCodeRunner.Settings(permissionMode: "manual"), log: log)
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .needsInput, "\(outcome)")
        #expect(!RealAgents.exists(dir + "/hello.txt"))
        #expect(outcome.error?.hasPrefix("claude-code was denied Bash") == true, "\(outcome.error ?? "")")
        #expect(outcome.error?.contains("needs approval") == true && outcome.error?.contains("manual") == true)
        #expect(outcome.report?.permissionDenials.first?.tool == "Bash")
        // The command is in the report as one that did not run.
        #expect(outcome.report?.commands == ["(denied) echo hi > hello.txt"])
        #expect(log.all.contains { if case .permissionDenied = $0 { true } else { false } })
        // A command that did not run has no result.
        #expect(!log.all.contains { if case .commandResult = $0 { true } else { false } }, "\(log.all)")
    }

    /// `allowed_tools` lets a tool run without a mode that would allow it.
    @Test func allowedToolsLetATheToolRun() async throws {
        let fake = FakeModelAPI(.anthropicMessages) { request in
            request.continuesToolCall ? .text("Done.") : .shell("echo hi > hello.txt")
        }
        let (outcome, dir) = try await Self.run(
            fake, prompt: "Create hello.txt",
            settings: ClaudeCodeRunner.Settings(permissionMode: "manual", allowedTools: ["Bash"]))
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .succeeded, "\(outcome)")
        #expect(RealAgents.exists(dir + "/hello.txt"))
    }

    /// Steering resumes the session; the cost is the session's total, not the sum of the runs'
    /// cumulative totals.
    @Test func steeringResumesTheSessionAndCostStaysAbsolute() async throws {
        #expect(RealAgents.missing() == nil)
        let fake = FakeModelAPI(.anthropicMessages) { request in
            if request.userTexts.contains(where: { $0.contains("also update the changelog") }) {
                return .text("Changelog updated.")
            }
            // A slow first turn (the model's pace, not a wait), so the steer arrives while it runs.
            try? await Task.sleep(for: .milliseconds(1500))
            return .text("Fixed.")
        }
        let base = try fake.start()
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let (steer, input) = AsyncStream<String>.makeStream()
        let log = EventLog()
        let home = RealAgents.home()
        defer { home.remove() }
        let run = Task {
            await Self.runner(base, home: home).run(Self.task(dir, prompt: "Fix it"), steer: steer, events: log.record)
        }
        try #require(await eventually { !fake.requests.isEmpty })
        input.yield("also update the changelog")
        let outcome = await run.value
        await fake.stop()
        #expect(outcome.status == .succeeded, "\(outcome)")
        #expect(outcome.result == "Changelog updated." && log.all.contains(.turnStarted(2)))
        // The second run saw the first (the same session), and tokens are both runs'.
        #expect(fake.requests.count == 2 && fake.requests[1].userTexts.contains { $0.contains("Fix it") })
        #expect(outcome.tokensInput == 200 && outcome.tokensOutput == 40)
        // One run alone for comparison: the steered attempt cost exactly twice as much.
        let single = FakeModelAPI(.anthropicMessages) { _ in .text("Fixed.") }
        let (once, onceDir) = try await Self.run(single, prompt: "Fix it")
        defer { Workspaces.removeTree(onceDir) }
        let (two, one) = (try #require(outcome.costUSD), try #require(once.costUSD))
        #expect(abs(two - 2 * one) < 1e-9, "\(two) vs \(one)")
    }

    @Test(arguments: [
        (
            400, "invalid_request_error", "messages.0 is invalid",
            "the model API answered HTTP 400: messages.0 is invalid"
        ),
        (401, "authentication_error", "invalid x-api-key", "the model API answered HTTP 401"),
        (429, "rate_limit_error", "slow down", "the model API answered HTTP 429"),
    ])
    func modelAPIFailuresAreReportedInWords(status: Int, type: String, message: String, words: String) async throws {
        let fake = FakeModelAPI(.anthropicMessages) { _ in .error(status: status, type: type, message: message) }
        let (outcome, dir) = try await Self.run(
            fake, prompt: "Anything", settings: ClaudeCodeRunner.Settings(maxAPIRetries: 0))
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("claude-code: " + words) == true, "\(outcome.error ?? "")")
    }

    /// The CLI's retries are progress events, counted, and bounded by the provider's limit.
    @Test func apiRetriesAreProgressAndBounded() async throws {
        let fake = FakeModelAPI(.anthropicMessages) { _ in .error(status: 500, type: "api_error", message: "boom") }
        let log = EventLog()
        let (outcome, dir) = try await Self.run(
            fake, prompt: "Anything", settings: ClaudeCodeRunner.Settings(maxAPIRetries: 2), log: log)
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("HTTP 500") == true, "\(outcome.error ?? "")")
        let retries = log.all.filter { if case .apiRetry = $0 { true } else { false } }
        #expect(retries.count == 2 && outcome.report?.apiRetries == 2, "\(retries)")
        #expect(fake.requests.count == 3)
    }

    /// `max_steps` is the CLI's `--max-turns`: a model that never stops ends at it, in words.
    @Test func theStepLimitEndsTheRunInWords() async throws {
        let fake = FakeModelAPI(.anthropicMessages) { _ in .shell("echo again") }
        let (outcome, dir) = try await Self.run(
            fake, prompt: "Loop", settings: ClaudeCodeRunner.Settings(maxSteps: 2))
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("claude-code: stopped at its step limit") == true, "\(outcome.error ?? "")")
        #expect(outcome.error?.contains("max_steps is 2") == true)
        #expect(fake.requests.count == 2)
    }

    /// Without a model in the job, the CLI's own default is what is recorded.
    @Test func theModelTheCLIChoseIsRecorded() async throws {
        let fake = FakeModelAPI(.anthropicMessages) { _ in .text("Hi.") }
        let (outcome, dir) = try await Self.run(fake, prompt: "Hello", model: nil)
        defer { Workspaces.removeTree(dir) }
        let asked = try #require(fake.requests.first?.body["model"]?.stringValue)
        #expect(outcome.model == asked && outcome.report?.model == asked)
    }

    @Test func cancellingKillsTheCLIAtOnce() async throws {
        let fake = FakeModelAPI(.anthropicMessages) { _ in
            // A model that does not answer before the run is cancelled.
            try? await Task.sleep(for: .seconds(30))
            return .text("too late")
        }
        let base = try fake.start()
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let home = RealAgents.home()
        defer { home.remove() }
        let run = Task {
            await Self.runner(base, home: home).run(
                Self.task(dir, prompt: "Wait"), steer: AsyncStream { $0.finish() }, events: { _ in })
        }
        try #require(await eventually { !fake.requests.isEmpty })
        let start = ContinuousClock.now
        run.cancel()
        let outcome = await run.value
        #expect(outcome.error == "cancelled")
        #expect(ContinuousClock.now - start < .seconds(5))
        await fake.stop()
    }

    @Test func aMissingCLIFailsWithASentence() async {
        let outcome = await ClaudeCodeRunner(command: "/nonexistent/claude").run(
            Self.task("/tmp", prompt: "x"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .failed)
        #expect(
            outcome.error
                == "claude-code: /nonexistent/claude is not installed (not found on PATH); see README \"Running real agents\""
        )
    }

    /// Arguments Baton passes, and the provider's own after them, without a shell.
    @Test func argumentsFollowTheProviderSettings() {
        let runner = ClaudeCodeRunner(
            command: "claude",
            settings: ClaudeCodeRunner.Settings(
                permissionMode: "acceptEdits", allowedTools: ["Bash(npm test:*)", "Read"], maxSteps: 7))
        #expect(
            runner.arguments(Self.task("/w", prompt: "x", model: "opus"), resume: "s-1") == [
                "-p", "--output-format", "stream-json", "--verbose", "--allowedTools", "Bash(npm test:*)", "Read",
                "--permission-mode", "acceptEdits", "--max-turns", "7", "--model", "opus", "--resume", "s-1",
            ])
        #expect(ClaudeCodeRunner.parseVersion("2.1.337 (Claude Code)\n") == [2, 1, 337])
        #expect(ClaudeCodeRunner.supported.contains([2, 1, 337]) && !ClaudeCodeRunner.supported.contains([1, 0, 0]))
    }
}

import BatonJSON
import BatonTestSupport
import Foundation
import Testing

@testable import BatonAgent

/// The runner against the real `codex app-server` (codex-cli 0.163.0, installed by
/// `scripts/install-deps.sh --test`), whose model is a loopback FakeModelAPI speaking OpenAI's
/// Responses API. The fake decides each model step; everything else — the protocol, the sandbox,
/// the shell tool, the approvals, the errors — is codex's own.
@Suite(.serialized) struct CodexRunnerTests {
    static let key = "sk-fake-codex-key"

    /// A runner for codex with `home` (`RealAgents.codexHome`, pointed at the fake) as its
    /// CODEX_HOME, through the provider's `env` (with the key as a `$secret:` reference, resolved
    /// by `secret` as the vault would).
    static func runner(_ home: TemporaryDirectory, settings: CodexRunner.Settings = CodexRunner.Settings())
        -> CodexRunner
    {
        CodexRunner(
            launch: AgentLaunch(
                command: RealAgents.codex + " app-server",
                environment: ["CODEX_HOME": home.path, "FAKE_OPENAI_API_KEY": "$secret:openai_key"],
                secret: { $0 == "$secret:openai_key" ? key : nil }),
            settings: settings)
    }

    static func task(_ workspace: String, prompt: String, maxTurns: Int = 5) -> AgentTask {
        AgentTask(
            jobID: 5, prompt: prompt, provider: "codex", model: "gpt-5.5", workspace: workspace, maxTurns: maxTurns)
    }

    static func run(
        _ fake: FakeModelAPI, prompt: String, settings: CodexRunner.Settings = CodexRunner.Settings(),
        streamRetries: Int = 0, log: EventLog = EventLog()
    ) async throws -> (AgentOutcome, String) {
        #expect(RealAgents.missing() == nil, "\(RealAgents.missing() ?? "")")
        let base = try fake.start()
        let dir = temporaryDirectory()
        let home = RealAgents.codexHome(baseURL: base, streamRetries: streamRetries)
        defer { home.remove() }
        let outcome = await runner(home, settings: settings).run(
            task(dir, prompt: prompt), steer: AsyncStream { $0.finish() }, events: log.record)
        await fake.stop()
        return (outcome, dir)
    }

    @Test func aTurnAnswersWithTheModelsMessageTokensAndVersion() async throws {
        let fake = FakeModelAPI(.openAIResponses, model: "gpt-5.5") { _ in .text("All done.") }
        let log = EventLog()
        let (outcome, dir) = try await Self.run(fake, prompt: "Say hello", log: log)
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .succeeded, "\(outcome)")
        #expect(outcome.result == "All done.")
        let report = try #require(outcome.report)
        #expect(report.usage == TokenUsage(input: 100, cachedInput: 40, output: 20, reasoningOutput: 5))
        #expect(outcome.tokensInput == 100 && outcome.tokensOutput == 20)
        #expect(outcome.model == "gpt-5.5" && report.agentVersion == "codex-cli 0.163.0")
        #expect(log.all.contains(.message("All done.")) && log.all.contains(.tokens(input: 100, output: 20)))
        // The key reached the model API as codex sends it, from the provider's env.
        #expect(fake.requests.first?.headers["Authorization"] == "Bearer \(Self.key)")
        #expect(fake.requests.first?.userTexts.contains { $0.contains("Say hello") } == true)
    }

    /// The default sandbox (workspace-write) lets the agent write inside its workspace.
    @Test func aShellToolCallWritesAFileInTheWorkspace() async throws {
        let fake = FakeModelAPI(.openAIResponses) { request in
            request.continuesToolCall ? .text("Wrote hello.txt.") : .shell("echo hi > hello.txt")
        }
        let log = EventLog()
        let (outcome, dir) = try await Self.run(fake, prompt: "Create hello.txt", log: log)
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .succeeded, "\(outcome)")
        #expect(RealAgents.read(dir + "/hello.txt") == "hi\n")
        // The command's outcome follows it (what a Linear agent session shows as its result).
        // (Its output is whatever the machine's login shell adds: only the exit code is certain.)
        #expect(
            log.all.contains { if case .commandResult(exitCode: 0, _) = $0 { true } else { false } }, "\(log.all)")
        #expect(outcome.report?.commands == ["echo hi > hello.txt"])
        #expect(fake.requests.count == 2 && fake.requests[1].toolOutput?.contains("exited with code 0") == true)
    }

    /// With approval_policy on-request, codex asks before running a command outside its sandbox;
    /// Baton answers by the provider's `approvals`, and codex does what the answer says.
    @Test(arguments: [CodexRunner.Approvals.accept, .decline])
    func escalationsAreAskedAndAnsweredByPolicy(policy: CodexRunner.Approvals) async throws {
        let outside = TemporaryDirectory(prefix: "../var/tmp/baton-outside").path
        defer { Workspaces.removeTree(outside) }
        let fake = FakeModelAPI(.openAIResponses) { request in
            request.continuesToolCall
                ? .text("Finished.") : .shell("echo out > \(outside)/escalated.txt", escalate: true)
        }
        let (outcome, dir) = try await Self.run(
            fake, prompt: "Write outside",
            settings: CodexRunner.Settings(approvalPolicy: "on-request", approvals: policy))
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .succeeded, "\(outcome)")
        let approvals = outcome.report?.approvals ?? []
        #expect(approvals.count == 1 && approvals.first?.decision == policy.rawValue, "\(approvals)")
        #expect(approvals.first?.request.contains("escalated.txt") == true)
        #expect(RealAgents.exists(outside + "/escalated.txt") == (policy == .accept))
    }

    /// With the default policy (never) codex asks nothing: a command needing more than the
    /// sandbox fails inside codex, and the file outside the workspace is not written.
    @Test func theDefaultPolicyNeverAsksAndTheSandboxHolds() async throws {
        // Not under /tmp, which codex's sandbox leaves writable.
        let outside = TemporaryDirectory(prefix: "../var/tmp/baton-outside").path
        defer { Workspaces.removeTree(outside) }
        let fake = FakeModelAPI(.openAIResponses) { request in
            request.continuesToolCall ? .text("Could not.") : .shell("echo out > \(outside)/escaped.txt")
        }
        let (outcome, dir) = try await Self.run(fake, prompt: "Write outside")
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .succeeded, "\(outcome)")
        #expect(outcome.report?.approvals.isEmpty == true)
        #expect(!RealAgents.exists(outside + "/escaped.txt"))
        #expect(
            fake.requests.last?.toolOutput?.lowercased().contains("read-only file system") == true,
            "\(fake.requests.last?.toolOutput ?? "no tool output")")
    }

    /// A steering message that arrives while a turn runs becomes the next turn of the thread.
    @Test func steeringMidRunBecomesTheNextTurn() async throws {
        #expect(RealAgents.missing() == nil)
        let fake = FakeModelAPI(.openAIResponses) { request in
            if request.userTexts.contains(where: { $0.contains("also add a test") }) { return .text("Added the test.") }
            // A slow first turn (the model's pace, not a wait), so the steer arrives while it runs.
            try? await Task.sleep(for: .milliseconds(1500))
            return .text("Fixed the bug.")
        }
        let base = try fake.start()
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let home = RealAgents.codexHome(baseURL: base)
        defer { home.remove() }
        let (steer, input) = AsyncStream<String>.makeStream()
        let log = EventLog()
        let run = Task {
            await Self.runner(home).run(Self.task(dir, prompt: "Fix the bug"), steer: steer, events: log.record)
        }
        try #require(await eventually { !fake.requests.isEmpty })
        input.yield("also add a test")
        let outcome = await run.value
        await fake.stop()
        #expect(outcome.status == .succeeded, "\(outcome)")
        #expect(outcome.result == "Added the test.")
        #expect(log.all.contains(.turnStarted(2)))
        // Tokens are the thread's totals: both turns.
        #expect(outcome.tokensInput == 200 && outcome.tokensOutput == 40)
        // The second turn carries the first: the same thread.
        #expect(fake.requests.last?.userTexts.contains { $0.contains("Fix the bug") } == true)
    }

    @Test(arguments: [
        (
            400, "invalid_request_error", "Invalid request: unsupported parameter",
            "Invalid request: unsupported parameter"
        ),
        (401, "invalid_api_key", "Incorrect API key provided", "the model API refused the key (HTTP 401)"),
        (429, "rate_limit_exceeded", "Rate limit reached", "the model API rate-limited the request (HTTP 429)"),
    ])
    func modelAPIFailuresAreReportedInWords(status: Int, type: String, message: String, words: String) async throws {
        let fake = FakeModelAPI(.openAIResponses) { _ in .error(status: status, type: type, message: message) }
        let (outcome, dir) = try await Self.run(fake, prompt: "Anything")
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("codex: ") == true && outcome.error?.contains(words) == true, "\(outcome)")
    }

    /// Retries codex announces are progress; past the provider's limit Baton interrupts the turn.
    @Test func retriesPastTheLimitInterruptTheTurn() async throws {
        let fake = FakeModelAPI(.openAIResponses) { _ in
            .error(status: 429, type: "rate_limit_exceeded", message: "slow down", retryAfter: 1)
        }
        let log = EventLog()
        let (outcome, dir) = try await Self.run(
            fake, prompt: "Anything", settings: CodexRunner.Settings(maxAPIRetries: 1), streamRetries: 5, log: log)
        defer { Workspaces.removeTree(dir) }
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("kept failing: 2 retries") == true, "\(outcome)")
        #expect(log.all.contains { if case .apiRetry = $0 { true } else { false } })
        #expect(outcome.report?.apiRetries == 2)
        #expect(fake.requests.count <= 3)
    }

    /// The agent can ask a person: Baton's tool is offered to the model, and a call to it ends
    /// the attempt as needing input, with the question.
    @Test func askingAPersonEndsTheAttemptAsNeedingInput() async throws {
        let fake = FakeModelAPI(.openAIResponses) { request in
            request.continuesToolCall
                ? .text("Waiting for an answer.")
                : .call(name: "baton_ask_person", arguments: ["question": "Which database should I migrate?"])
        }
        let (outcome, dir) = try await Self.run(fake, prompt: "Migrate the database")
        defer { Workspaces.removeTree(dir) }
        #expect(fake.requests.first?.toolNames.contains("baton_ask_person") == true)
        #expect(outcome.status == .needsInput, "\(outcome)")
        #expect(outcome.error == "codex asked: Which database should I migrate?")
    }

    @Test func cancellingEndsTheAppServerAtOnce() async throws {
        let fake = FakeModelAPI(.openAIResponses) { _ in
            // A model that does not answer before the run is cancelled.
            try? await Task.sleep(for: .seconds(30))
            return .text("too late")
        }
        let base = try fake.start()
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let home = RealAgents.codexHome(baseURL: base)
        defer { home.remove() }
        let run = Task {
            await Self.runner(home).run(
                Self.task(dir, prompt: "Wait"), steer: AsyncStream { $0.finish() }, events: { _ in })
        }
        try #require(await eventually { !fake.requests.isEmpty })
        let start = ContinuousClock.now
        run.cancel()
        let outcome = await run.value
        #expect(outcome.status == .failed && outcome.error == "cancelled")
        #expect(ContinuousClock.now - start < .seconds(5))
        await fake.stop()
    }

    @Test func aMissingCLIFailsWithASentence() async {
        let outcome = await CodexRunner(command: "/nonexistent/codex app-server").run(
            Self.task("/tmp", prompt: "x"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .failed)
        #expect(
            outcome.error
                == "codex: /nonexistent/codex is not installed (not found on PATH); see README \"Running real agents\"")
    }

    /// A version outside the supported range is refused before the protocol is spoken. (A script:
    /// no real codex of another version is installed here.)
    @Test func anUnsupportedVersionIsRefused() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        RealAgents.writeFile(dir + "/codex", "#!/bin/sh\necho 'codex-cli 0.100.2'\n")
        chmod(dir + "/codex", 0o755)
        let outcome = await CodexRunner(command: dir + "/codex app-server").run(
            Self.task(dir, prompt: "x"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(
            outcome.error
                == "codex: codex-cli 0.100.2 is not supported; Baton needs codex >= 0.163.0, < 0.200.0 (tested with codex-cli 0.163.0)"
        )
        #expect(CodexRunner.parseVersion("codex-cli 0.163.0\n") == [0, 163, 0])
        #expect(CodexRunner.parseVersion("something else") == nil)
    }
}

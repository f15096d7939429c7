import BatonAgent
import BatonCore
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonTestSupport
import Testing

@testable import BatonAPI

#if canImport(Glibc)
    import Glibc
#endif

/// The real agent CLIs from webhook to the issue's final state: a signed Linear delivery, the
/// orchestrator's attempt, a real coordinator on a loopback socket, the real worker loop, the
/// real `codex app-server` or `claude`, and a FakeModelAPI playing the model in its real wire
/// format. The provider is configured as an operator would (command, env with `$secret:` keys
/// from the vault, pricing), and the checks read what the API shows: the issue's state, the
/// attempt's tokens, cost, model and what the agent did.
final class AgentHarness: Sendable {
    let c: TestCoordinator
    let fake: FakeModelAPI
    let server: HTTPServer
    let worker: WorkerLoop
    let running: Task<Void, Never>
    let root: String
    /// The agent's home (CODEX_HOME, or Claude Code's HOME), removed by `stop()`.
    let home: TemporaryDirectory

    /// `provider` is the provider's configuration beyond kind, command and env.
    static func start(
        _ kind: String, provider extra: [String: JSONValue] = [:], agent: [String: JSONValue] = [:],
        sandbox: SandboxSettings.Mode = .required,
        script: @escaping @Sendable (FakeModelAPI.Request) async -> FakeModelAPI.Reply
    ) async throws -> AgentHarness {
        let wire: FakeModelAPI.Wire = kind == "codex" ? .openAIResponses : .anthropicMessages
        let fake = FakeModelAPI(wire, model: "gpt-5.5", script: script)
        let base = try fake.start()
        let c = try await TestCoordinator.make()
        try await c.storeWebhookSecret()
        var provider: [String: JSONValue] = ["kind": .string(kind)]
        // The agent's own state is the one place outside its workspace it may write.
        let home: TemporaryDirectory
        if kind == "codex" {
            try await c.vault.set(tenant: "default", name: "openai_key", value: "sk-e2e-openai")
            home = RealAgents.codexHome(baseURL: base)
            provider["command"] = .string(RealAgents.codex + " app-server")
            provider["env"] = ["CODEX_HOME": .string(home.path), "FAKE_OPENAI_API_KEY": "$secret:openai_key"]
            // Codex reports no price: the table prices the model it used.
            provider["pricing"] = ["gpt-5.5": ["input_per_mtok": 1.25, "output_per_mtok": 10]]
        } else {
            try await c.vault.set(tenant: "default", name: "anthropic_key", value: "sk-e2e-anthropic")
            provider["command"] = .string(RealAgents.claude)
            home = RealAgents.home()
            let environment = RealAgents.claudeEnvironment(home: home, baseURL: base)
            provider["env"] = .object(environment.mapValues(JSONValue.string))
        }
        for (key, value) in extra { provider[key] = value }
        var agentSection: [String: JSONValue] = ["provider": "agent", "max_attempts": 1]
        for (key, value) in agent { agentSection[key] = value }
        _ = try c.config.replaceOverlay(["agent": .object(agentSection), "providers": ["agent": .object(provider)]])
        let (server, port) = try c.startServer()
        let root = WorkerLoopLiveTests.workspaceRoot()
        var settings = WorkerSettings(name: "w1", capacity: 1, workspaces: Workspaces(root: root))
        settings.heartbeatSeconds = 0.5
        settings.leaseWaitSeconds = 2
        settings.eventIntervalMs = 50
        settings.quietReportMs = 200
        settings.sandbox = SandboxSettings(mode: sandbox, writePaths: [home.path])
        let vault = c.vault
        let worker = WorkerLoop(
            client: CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", token: try c.makeKey(.worker, name: "w1")),
            settings: settings,
            runners: RunnerCatalog(
                providers: c.config.effective["providers"],
                secret: { try await vault.resolve($0, tenant: "default") }
            ).restricted(to: ["agent"]))
        let running = Task { await worker.run() }
        return AgentHarness(
            c: c, fake: fake, server: server, worker: worker, running: running, root: root, home: home)
    }

    private init(
        c: TestCoordinator, fake: FakeModelAPI, server: HTTPServer, worker: WorkerLoop, running: Task<Void, Never>,
        root: String, home: TemporaryDirectory
    ) {
        self.c = c
        self.fake = fake
        self.server = server
        self.worker = worker
        self.running = running
        self.root = root
        self.home = home
    }

    /// Delivers the issue as Linear would, then ticks the orchestrator until the issue leaves
    /// `running` (or 60 s pass); returns the issue as the API shows it.
    func run(_ identifier: String, title: String, steer: String? = nil) async throws -> JSONValue {
        #expect(RealAgents.missing() == nil, "\(RealAgents.missing() ?? "")")
        try await c.deliverAndTick(c.issueDelivery(identifier, title: title))
        var steered = steer == nil
        var failure: (any Error)?
        _ = await eventually(timeout: .seconds(60), interval: .milliseconds(50)) {
            do {
                try await c.orchestrator.tick(tenant: "default")
                let state = await c.issueJSON(identifier)["state"]?.stringValue ?? ""
                if !steered, state == "running", !fake.requests.isEmpty, let steer {
                    // A person comments on the issue in Linear while the agent works.
                    try await c.deliverAndTick(
                        LinearWebhook.commentPayload(
                            issue: identifier, body: "/baton \(steer)", timestampMs: Timestamp.nowMilliseconds()))
                    steered = true
                }
                return state != "running" && state != "queued"
            } catch {
                failure = error
                return true
            }
        }
        if let failure { throw failure }
        return await c.issueJSON(identifier)
    }

    /// The latest attempt in detail (job status, tokens, cost, model, report).
    func attempt(_ issue: JSONValue) async throws -> JSONValue {
        let id = try #require(issue["attempts"]?.arrayValue?.last?["id"]?.intValue)
        return await c.request(.get, "/api/v1/attempts/\(id)").json
    }

    func workspace(_ identifier: String) -> String { root + "/" + identifier }

    func stop() async {
        worker.stop()
        await running.value
        await server.shutdown()
        await fake.stop()
        c.close()
        _ = try? ChildProcess.run("/bin/rm", ["-rf", root])
        home.remove()
    }
}

@Suite(.serialized) struct RealAgentEndToEndTests {
    /// An issue that needs a file written: each real CLI writes it through its shell tool, and
    /// the issue completes with tokens, cost, model and the agent's actions on its attempt.
    @Test(arguments: ["codex", "claude-code"])
    func anIssueThatNeedsAFileIsCompleted(kind: String) async throws {
        let h = try await AgentHarness.start(kind) { request in
            request.continuesToolCall ? .text("Created NOTES.md with the summary.") : .shell("echo summary > NOTES.md")
        }
        let issue = try await h.run("ENG-41", title: "Add a NOTES.md")
        let attempt = try await h.attempt(issue)
        #expect(issue["state"] == "completed", "\(issue.text)")
        #expect(RealAgents.read(h.workspace("ENG-41") + "/NOTES.md") == "summary\n")
        #expect(attempt["result"] == "Created NOTES.md with the summary.")
        let report = try #require(attempt["report"])
        #expect(report["agent"] == .string(kind))
        #expect(report["commands"] == ["echo summary > NOTES.md"], "\(report.text)")
        #expect(report["files_changed"] == [["path": "NOTES.md", "change": "added"]], "\(report.text)")
        #expect(report["final_message"] == "Created NOTES.md with the summary.")
        // Two model calls of 100 input and 20 output tokens each.
        #expect(attempt["tokens"] == ["input": 200, "output": 40], "\(attempt.text)")
        #expect(report["usage"]?["cached_input"] == 80)
        let cost = try #require(attempt["cost_usd"]?.doubleValue)
        if kind == "codex" {
            #expect(attempt["model_used"] == "gpt-5.5")
            #expect(abs(cost - (200 * 1.25 + 40 * 10) / 1_000_000) < 1e-12, "\(cost)")
        } else {
            // No model in the configuration: the one the CLI chose is recorded, with its price.
            #expect(attempt["model_used"]?.stringValue?.hasPrefix("claude-") == true, "\(attempt.text)")
            #expect(cost > 0)
        }
        // The cost ledger is by the model the agent used.
        let costs = await h.c.request(.get, "/api/cost/breakdown").json
        #expect(costs["items"]?.arrayValue?.first?["model"] == attempt["model_used"], "\(costs.text)")
        await h.stop()
    }

    /// A person's comment while the agent works becomes its next turn; the answer is the
    /// steered turn's.
    @Test(arguments: ["codex", "claude-code"])
    func aCommentSteersTheAgentMidRun(kind: String) async throws {
        let h = try await AgentHarness.start(kind) { request in
            if request.userTexts.contains(where: { $0.contains("use the v2 API") }) { return .text("Switched to v2.") }
            // A slow first turn (the model's pace, not a wait), so the steer arrives while it runs.
            try? await Task.sleep(for: .milliseconds(1500))
            return .text("Done with v1.")
        }
        let issue = try await h.run("ENG-42", title: "Call the API", steer: "use the v2 API")
        let attempt = try await h.attempt(issue)
        #expect(issue["state"] == "completed", "\(issue.text)")
        #expect(attempt["result"] == "Switched to v2.", "\(attempt.text)")
        #expect(h.fake.requests.count == 2)
        await h.stop()
    }

    /// Model API failures fail the issue with a sentence that says what happened.
    @Test(arguments: [
        ("codex", 400, "bad request body"),
        ("codex", 401, "the model API refused the key (HTTP 401)"),
        ("codex", 429, "the model API rate-limited the request (HTTP 429)"),
        ("claude-code", 400, "the model API answered HTTP 400: bad request body"),
        ("claude-code", 401, "the model API answered HTTP 401"),
        ("claude-code", 429, "the model API answered HTTP 429"),
    ])
    func aModelAPIFailureFailsTheIssueInWords(kind: String, status: Int, words: String) async throws {
        let h = try await AgentHarness.start(kind, provider: ["max_api_retries": 0]) { _ in
            .error(
                status: status, type: status == 401 ? "authentication_error" : "invalid_request_error",
                message: status == 401 ? "invalid key" : "bad request body")
        }
        let issue = try await h.run("ENG-43", title: "Anything")
        #expect(issue["state"] == "failed", "\(issue.text)")
        let error = issue["last_error"]?.stringValue ?? ""
        #expect(error.contains(words), "\(error)")
        await h.stop()
    }

    /// With approval_policy untrusted, codex asks before any command that is not known to be
    /// safe; the provider's `approvals` answers, codex does what the answer says, and the attempt
    /// records the request and the answer. (Inside Baton's sandbox codex runs without its own, so
    /// it never asks to escape one: Baton's sandbox is what holds.)
    @Test(arguments: ["accept", "decline"])
    func aCommandIsAskedForAndAnsweredByThePolicy(approvals: String) async throws {
        let h = try await AgentHarness.start(
            "codex", provider: ["approvals": .string(approvals), "approval_policy": "untrusted"]
        ) { request in
            request.continuesToolCall ? .text("Finished.") : .shell("echo ok > deployed.txt")
        }
        let issue = try await h.run("ENG-47", title: "Deploy")
        #expect(issue["state"] == "completed", "\(issue.text)")
        let attempt = try await h.attempt(issue)
        let asked = attempt["report"]?["approvals"]?.arrayValue ?? []
        #expect(asked.count == 1 && asked.first?["decision"] == .string(approvals), "\(attempt.text)")
        #expect(asked.first?["request"]?.stringValue?.contains("deployed.txt") == true)
        #expect(RealAgents.exists(h.workspace("ENG-47") + "/deployed.txt") == (approvals == "accept"))
        await h.stop()
    }

    /// Claude Code refused a tool: the issue is blocked with the reason, never completed.
    @Test func aPermissionDenialBlocksTheIssue() async throws {
        let h = try await AgentHarness.start("claude-code", provider: ["permission_mode": "manual"]) { request in
            request.continuesToolCall ? .text("I could not.") : .shell("echo hi > hello.txt")
        }
        let issue = try await h.run("ENG-44", title: "Write hello.txt")
        #expect(issue["state"] == "blocked", "\(issue.text)")
        #expect(issue["last_error"]?.stringValue?.contains("denied Bash") == true, "\(issue.text)")
        let attempt = try await h.attempt(issue)
        #expect(attempt["report"]?["permission_denials"]?.arrayValue?.count == 1)
        #expect(!RealAgents.exists(h.workspace("ENG-44") + "/hello.txt"))
        await h.stop()
    }

    /// Codex asks a person (Baton's tool): the issue is blocked with the question.
    @Test func aQuestionFromCodexBlocksTheIssue() async throws {
        let h = try await AgentHarness.start("codex") { request in
            request.continuesToolCall
                ? .text("Waiting.") : .call(name: "baton_ask_person", arguments: ["question": "Which region?"])
        }
        let issue = try await h.run("ENG-46", title: "Deploy it")
        #expect(issue["state"] == "blocked", "\(issue.text)")
        #expect(issue["last_error"]?.stringValue?.contains("Which region?") == true, "\(issue.text)")
        await h.stop()
    }

    /// Past the step limit Claude Code stops, and the issue fails saying so.
    @Test func theStepLimitFailsTheIssueInWords() async throws {
        let h = try await AgentHarness.start("claude-code", provider: ["max_steps": 2]) { _ in .shell("echo again") }
        let issue = try await h.run("ENG-45", title: "Loop")
        #expect(issue["state"] == "failed", "\(issue.text)")
        #expect(issue["last_error"]?.stringValue?.contains("stopped at its step limit") == true, "\(issue.text)")
        await h.stop()
    }
}

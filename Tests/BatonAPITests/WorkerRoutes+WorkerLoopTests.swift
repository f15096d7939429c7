import BatonAgent
import BatonCore
import BatonHTTP
import BatonJSON
import BatonTestSupport
import Synchronization
import Testing

@testable import BatonAPI

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for a runner-visible signal in tests: a steering message handed back as the result.
struct SteerEchoRunner: AgentRunner {
    let kind = "steer-echo"
    func run(_ task: AgentTask, steer: AsyncStream<String>, events: @escaping @Sendable (AgentEvent) -> Void) async
        -> AgentOutcome
    {
        events(.turnStarted(1))
        for await message in steer { return AgentOutcome(status: .succeeded, result: "steered: \(message)") }
        return .failed("the steer stream ended without a message")
    }
}

/// The real worker loop (BatonAgent) against a real coordinator on a loopback socket.
@Suite struct WorkerLoopLiveTests {
    static func loop(
        _ c: TestCoordinator, port: Int, name: String = "w1", runners: [String: any AgentRunner] = [:],
        workspaces: String
    ) throws -> WorkerLoop {
        var settings = WorkerSettings(name: name, capacity: 1, workspaces: Workspaces(root: workspaces))
        settings.heartbeatSeconds = 0.5
        settings.leaseWaitSeconds = 2
        settings.eventIntervalMs = 50
        settings.quietReportMs = 200
        settings.maxBackoffSeconds = 0.5
        return WorkerLoop(
            client: CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", token: try c.makeKey(.worker, name: name)),
            settings: settings, runners: RunnerCatalog(runners))
    }

    static func workspaceRoot() -> String {
        var template = Array("/tmp/baton-worker-live-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    @Test func aCommandJobRunsAndItsOutputIsTheResult() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let root = Self.workspaceRoot()
        let worker = try Self.loop(
            c, port: port, runners: ["shout": CommandRunner(command: "tr a-z A-Z")], workspaces: root)
        let running = Task { await worker.run() }
        let id = try #require(
            await c.createJob(#"{"prompt":"hello","provider":"shout","issue":"ENG-4"}"#)["id"]?.intValue)
        #expect(await eventually { await c.job(id)["status"] == "completed" })
        #expect(await c.job(id)["result"] == "HELLO")
        worker.stop()
        await running.value
        await server.shutdown()
        _ = try? ChildProcess.run("/bin/rm", ["-rf", root])
    }

    /// Cancel of a running job reaches its worker, which kills the agent's whole tree at once.
    @Test func cancellingARunningJobKillsItsProcessTree() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let root = Self.workspaceRoot()
        let worker = try Self.loop(
            c, port: port,
            runners: ["slow": CommandRunner(command: "sleep 60 & echo $! > child.pid; echo started; wait")],
            workspaces: root)
        let running = Task { await worker.run() }
        let id = try #require(await c.createJob(#"{"prompt":"p","provider":"slow"}"#)["id"]?.intValue)
        let pidFile = root + "/job-\(id)/child.pid"
        #expect(await eventually { access(pidFile, F_OK) == 0 && worker.activeCount == 1 })
        let text = try ChildProcess.run("/bin/cat", [pidFile]).stdout
        let pid = try #require(Int32(text.split(separator: "\n").first ?? ""))
        let cancelled = await c.send(.post, "/api/jobs/\(id)/cancel", "")
        #expect(cancelled.status == .ok)
        // Timed on a thread of its own (the cancel travels in the next events answer: a silent job
        // is still reported on every 200 ms here, every second by default).
        let start = Subprocess.monotonicSeconds()
        let gone = try await offPool { () -> Double? in
            eventually(onThisThread: .seconds(10)) { processHasEnded(pid) }
                ? Subprocess.monotonicSeconds() - start : nil
        }
        // The 2 s bound from the worker's cancel to a dead tree is asserted in CommandRunnerTests; here
        // the cancel also crosses two HTTP hops through a test process shared with every suite.
        #expect(try #require(gone, "the agent's child \(pid) survived the cancel") < 10)
        #expect(await eventually { worker.activeCount == 0 })
        #expect(await c.job(id)["status"] == "cancelled")
        worker.stop()
        await running.value
        await server.shutdown()
        _ = try? ChildProcess.run("/bin/rm", ["-rf", root])
    }

    @Test func aSteerMessageReachesTheAgent() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let root = Self.workspaceRoot()
        let worker = try Self.loop(c, port: port, runners: ["echo": SteerEchoRunner()], workspaces: root)
        let running = Task { await worker.run() }
        let id = try #require(await c.createJob(#"{"prompt":"p","provider":"echo"}"#)["id"]?.intValue)
        #expect(await eventually { await c.job(id)["status"] == "running" })
        try await c.dispatcher.steer(id, tenant: "default", message: "use the staging database")
        #expect(await eventually { await c.job(id)["status"] == "completed" })
        #expect(await c.job(id)["result"] == "steered: use the staging database")
        worker.stop()
        await running.value
        await server.shutdown()
        _ = try? ChildProcess.run("/bin/rm", ["-rf", root])
    }

    /// The coordinator goes away while a job runs and comes back on the same port: the worker
    /// keeps the result and delivers it.
    @Test func aResultOutlivesTheCoordinatorGoingAway() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let root = Self.workspaceRoot()
        let worker = try Self.loop(
            c, port: port, runners: ["late": CommandRunner(command: "echo started; sleep 1; echo finished; : > done")],
            workspaces: root)
        let running = Task { await worker.run() }
        let id = try #require(await c.createJob(#"{"prompt":"p","provider":"late"}"#)["id"]?.intValue)
        #expect(await eventually { await c.job(id)["status"] == "running" })
        await server.shutdown()
        // The command finishes while nobody listens; the worker retries with backoff.
        #expect(await eventually { access(root + "/job-\(id)/done", F_OK) == 0 })
        #expect(await c.job(id)["status"] == "running")
        var configuration = HTTPServerConfiguration()
        configuration.port = port
        let again = HTTPServer(configuration: configuration, responder: c.router)
        _ = try again.start()
        #expect(await eventually { await c.job(id)["status"] == "completed" })
        #expect(await c.job(id)["result"] == "started\nfinished\n")
        worker.stop()
        await running.value
        await again.shutdown()
        _ = try? ChildProcess.run("/bin/rm", ["-rf", root])
    }

    /// Each HTTP provider kind end to end: coordinator → worker → a loopback server with the
    /// provider's wire format → the job completed with the reply and its token totals.
    @Test(arguments: [
        (
            HTTPProviderRunner.Wire.openai,
            #"{"choices":[{"index":0,"message":{"role":"assistant","content":"Done via openai."},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000000,"completion_tokens":200000}}"#
        ),
        (
            HTTPProviderRunner.Wire.ollama,
            #"{"model":"m","message":{"role":"assistant","content":"Done via ollama."},"done":true,"prompt_eval_count":1000000,"eval_count":200000}"#
        ),
        (
            HTTPProviderRunner.Wire.anthropic,
            #"{"type":"message","role":"assistant","content":[{"type":"text","text":"Done via anthropic."}],"usage":{"input_tokens":1000000,"output_tokens":200000}}"#
        ),
    ])
    func anHTTPProviderJobRunsThroughTheCoordinator(wire: HTTPProviderRunner.Wire, reply: String) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let fake = FakeProvider([.json(.ok, reply)])
        let base = try fake.start()
        let root = Self.workspaceRoot()
        let runner = HTTPProviderRunner(
            wire: wire, baseURL: wire == .openai ? base + "/v1" : base, model: "m",
            apiKey: { "sk-live-test-key-000000" })
        let worker = try Self.loop(c, port: port, runners: ["llm": runner], workspaces: root)
        let running = Task { await worker.run() }
        let id = try #require(
            await c.createJob(#"{"prompt":"Summarise","provider":"llm","model":"m"}"#)["id"]?.intValue)
        #expect(await eventually { await c.job(id)["status"] == "completed" })
        let job = await c.job(id)
        #expect(job["result"]?.stringValue == "Done via \(wire.rawValue).")
        #expect(job["tokens"]?["input"] == 1_000_000 && job["tokens"]?["output"] == 200_000)
        #expect(fake.requests.count == 1)
        worker.stop()
        await running.value
        await server.shutdown()
        await fake.stop()
        _ = try? ChildProcess.run("/bin/rm", ["-rf", root])
    }

    /// Heartbeats carry the workspace inventory; a removal command runs before_remove, then removes.
    @Test func workspacesAreReportedAndRemovedOnCommand() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let root = Self.workspaceRoot()
        // The hook is sandboxed like an agent: its marker goes where sandbox.write_paths allows.
        let markers = root + ".markers"
        mkdir(markers, 0o700)
        let marker = markers + "/removed"
        var settings = WorkerSettings(
            name: "w1", capacity: 1, workspaces: Workspaces(root: root),
            hooks: Hooks(scripts: [.beforeRemove: "pwd > '\(marker)'"]))
        settings.sandbox.writePaths = [markers]
        settings.heartbeatSeconds = 0.2
        settings.leaseWaitSeconds = 2
        let worker = WorkerLoop(
            client: CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", token: try c.makeKey(.worker, name: "w1")),
            settings: settings)
        let running = Task { await worker.run() }
        let id = try #require(
            await c.createJob(#"{"prompt":"p","provider":"dry-run","issue":"ENG-5"}"#)["id"]?.intValue)
        #expect(await eventually { await c.job(id)["status"] == "completed" })
        #expect(await eventually { await c.request(.get, "/api/workers/w1").json["workspaces"] == ["ENG-5"] })
        try await c.dispatcher.removeWorkspace("ENG-5", worker: "w1", tenant: "default")
        // Long bounds: in a full run other suites can hold the cooperative pool for many seconds.
        #expect(await eventually(timeout: .seconds(90)) { access(root + "/ENG-5", F_OK) != 0 })
        let hookSaw = try ChildProcess.run("/bin/cat", [marker]).stdout
        #expect(hookSaw.hasSuffix("/ENG-5\n"))
        #expect(
            await eventually(timeout: .seconds(90)) {
                await c.request(.get, "/api/workers/w1").json["workspaces"] == []
            })
        worker.stop()
        await running.value
        await server.shutdown()
        _ = try? ChildProcess.run("/bin/rm", ["-rf", root, markers])
    }

    /// A job of no issue leaves no workspace behind (SPEC §7.8); an issue's stays for its next
    /// attempt; `workspaces.keep_adhoc` keeps ad-hoc ones too.
    @Test(arguments: [false, true])
    func anAdHocJobsWorkspaceGoesWithTheJob(keep: Bool) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let root = Self.workspaceRoot()
        var settings = WorkerSettings(name: "w1", capacity: 1, workspaces: Workspaces(root: root))
        settings.heartbeatSeconds = 0.5
        settings.leaseWaitSeconds = 2
        settings.keepAdHocWorkspaces = keep
        let worker = WorkerLoop(
            client: CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", token: try c.makeKey(.worker, name: "w1")),
            settings: settings, runners: RunnerCatalog(["make": CommandRunner(command: "touch made && cat")]))
        let running = Task { await worker.run() }
        let adHoc = try #require(await c.createJob(#"{"prompt":"p","provider":"make"}"#)["id"]?.intValue)
        #expect(await eventually { await c.job(adHoc)["status"] == "completed" })
        let issue = try #require(
            await c.createJob(#"{"prompt":"p","provider":"make","issue":"ENG-9"}"#)["id"]?.intValue)
        #expect(await eventually { await c.job(issue)["status"] == "completed" })
        // The ad-hoc job's files were made (the issue job's show where), then removed with it.
        #expect(await eventually { worker.activeCount == 0 })
        #expect(access(root + "/ENG-9/made", F_OK) == 0)
        #expect(await eventually { (access(root + "/job-\(adHoc)/made", F_OK) == 0) == keep })
        if !keep { #expect(access(root + "/job-\(adHoc)", F_OK) != 0) }
        worker.stop()
        await running.value
        await server.shutdown()
        _ = try? ChildProcess.run("/bin/rm", ["-rf", root])
    }

    /// A worker with capacity 2 runs two jobs at the same time.
    @Test func capacityJobsRunAtOnce() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let root = Self.workspaceRoot()
        var settings = WorkerSettings(name: "w2", capacity: 2, workspaces: Workspaces(root: root))
        settings.heartbeatSeconds = 0.5
        settings.leaseWaitSeconds = 2
        // Each job runs until the test has seen both running (at most 60 s): with `sleep 1`, a busy
        // pool could start the second only after the first had ended, and two were never seen.
        let gate = root + "-gate"
        #expect(mkdir(gate, 0o755) == 0)
        defer { _ = try? ChildProcess.run("/bin/rm", ["-rf", gate]) }
        let held = "i=0; while [ ! -e '\(gate)/release' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo ok"
        let worker = WorkerLoop(
            client: CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", token: try c.makeKey(.worker, name: "w2")),
            settings: settings, runners: RunnerCatalog(["slow": CommandRunner(command: held)]))
        let running = Task { await worker.run() }
        #expect(await eventually { await c.request(.get, "/api/workers/w2").json["capacity"] == 2 })
        let first = try #require(await c.createJob(#"{"prompt":"a","provider":"slow"}"#)["id"]?.intValue)
        let second = try #require(await c.createJob(#"{"prompt":"b","provider":"slow"}"#)["id"]?.intValue)
        #expect(await eventually { worker.activeCount == 2 })
        #expect(close(open(gate + "/release", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)) == 0)
        let bothDone = await eventually {
            let a = await c.job(first)["status"]
            let b = await c.job(second)["status"]
            return a == "completed" && b == "completed"
        }
        #expect(bothDone)
        worker.stop()
        await running.value
        await server.shutdown()
        _ = try? ChildProcess.run("/bin/rm", ["-rf", root])
    }

    /// A coordinator that takes workers for offline sooner than their own heartbeat period asks
    /// for heartbeats more often, and the worker follows (never slower than its own setting).
    @Test func theWorkerFollowsTheCoordinatorsHeartbeatInterval() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = try c.config.replaceOverlay(["router": ["stale_after_s": 3]])
        let (server, port) = try c.startServer()
        let root = Self.workspaceRoot()
        var settings = WorkerSettings(name: "w1", capacity: 1, workspaces: Workspaces(root: root))
        settings.heartbeatSeconds = 30
        settings.leaseWaitSeconds = 1
        let worker = WorkerLoop(
            client: CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", token: try c.makeKey(.worker, name: "w1")),
            settings: settings)
        #expect(worker.heartbeatSeconds == 30)
        let running = Task { await worker.run() }
        #expect(await eventually { worker.heartbeatSeconds == 1 }, "\(worker.heartbeatSeconds)")
        worker.stop()
        await running.value
        await server.shutdown()
        _ = try? ChildProcess.run("/bin/rm", ["-rf", root])
    }
}

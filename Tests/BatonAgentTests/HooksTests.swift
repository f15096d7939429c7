import BatonTestSupport
import Testing

@testable import BatonAgent

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct HooksTests {
    @Test func aHookRunsInTheWorkspaceWithItsEnvironment() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let hooks = Hooks(scripts: [.beforeRun: "pwd > where; echo $BATON_JOB_ID >> where"])
        #expect(await hooks.run(.beforeRun, in: dir, environment: ["BATON_JOB_ID": "42"]) == .ok)
        let text = try ChildProcess.run("/bin/cat", [dir + "/where"]).stdout
        #expect(text == "\(dir)\n42\n")
    }

    @Test func aMissingHookIsOK() async {
        #expect(await Hooks().run(.afterCreate, in: "/tmp") == .ok)
    }

    @Test func aFailingHookReportsItsStatusAndOutput() async {
        let hooks = Hooks(scripts: [.afterCreate: "echo cannot clone >&2; exit 4"])
        let outcome = await hooks.run(.afterCreate, in: "/tmp")
        #expect(outcome == .failed(status: 4, output: "cannot clone\n"))
        #expect(outcome.sentence == "exited with status 4: cannot clone")
        #expect(Hooks.Name.afterCreate.failsTheAttempt && !Hooks.Name.afterRun.failsTheAttempt)
    }

    /// A hook that hangs (and started a child that ignores SIGTERM) is killed, tree and all.
    @Test func aHangingHookIsKilledAtItsTimeout() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let hooks = Hooks(
            scripts: [.beforeRun: "(trap '' TERM; sleep 120) & echo $! > child; sleep 120"], timeoutMs: 300)
        let start = Subprocess.monotonicSeconds()
        let outcome = await hooks.run(.beforeRun, in: dir)
        #expect(outcome == .timedOut(seconds: 0.3))
        // Far below the 120 s it would hang. The bound is loose because the whole suite shares two
        // cores: a resumed task can wait its turn for seconds while hundreds of tests run.
        #expect(Subprocess.monotonicSeconds() - start < 40)
        let text = try ChildProcess.run("/bin/cat", [dir + "/child"]).stdout
        let pid = Int32(text.split(separator: "\n").first ?? "") ?? 0
        #expect(pid > 0)
        #expect(await eventually { processHasEnded(pid) }, "the hook's child \(pid) survived")
    }

    @Test func cancellingTheTaskKillsTheHook() async {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let hooks = Hooks(scripts: [.beforeRun: "echo > started; sleep 120"], timeoutMs: 120_000)
        let task = Task { await hooks.run(.beforeRun, in: dir) }
        // Cancelled while it runs, not before it started.
        #expect(await eventually { access(dir + "/started", F_OK) == 0 })
        let start = Subprocess.monotonicSeconds()
        task.cancel()
        #expect(await task.value == .cancelled)
        // Far below the hook's 120 s; the bound allows for a cooperative pool busy with other suites.
        #expect(Subprocess.monotonicSeconds() - start < 40)
    }
}

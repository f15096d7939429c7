import BatonTestSupport
import Synchronization
import Testing

@testable import BatonAgent

#if canImport(Glibc)
    import Glibc
#endif

final class EventLog: Sendable {
    private let events = Mutex<[AgentEvent]>([])
    func record(_ event: AgentEvent) { events.withLock { $0.append(event) } }
    var all: [AgentEvent] { events.withLock { $0 } }
}

@Suite struct CommandRunnerTests {
    static func task(_ workspace: String, prompt: String = "Fix the bug", input: String? = nil) -> AgentTask {
        AgentTask(jobID: 7, issue: "ENG-7", prompt: prompt, input: input, provider: "p", workspace: workspace)
    }

    @Test func commandGetsThePromptOnStdinAndItsStdoutIsTheResult() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let log = EventLog()
        let runner = CommandRunner(command: "tr a-z A-Z; pwd >&2; echo job $BATON_JOB_ID in $BATON_ISSUE")
        let outcome = await runner.run(
            Self.task(dir, prompt: "hello\n"), steer: AsyncStream { $0.finish() }, events: log.record)
        #expect(outcome.status == .succeeded)
        #expect(outcome.result == "HELLO\njob 7 in ENG-7\n")
        #expect(log.all.contains(.message("HELLO")) && log.all.contains(.message("job 7 in ENG-7")))
    }

    @Test func aFailingCommandFailsWithItsStderr() async throws {
        let outcome = await CommandRunner(command: "cat >/dev/null; echo 'bad credentials' >&2; exit 2").run(
            Self.task("/tmp"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .failed)
        #expect(outcome.error == "the command exited with status 2: bad credentials")
    }

    /// Cancel mid-run ends the command and everything it started within 2 s.
    @Test func cancellingACommandKillsItsWholeTree() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let runner = CommandRunner(command: "sleep 60 & echo $! > child; echo started; wait")
        let log = EventLog()
        let task = Task { await runner.run(Self.task(dir), steer: AsyncStream { $0.finish() }, events: log.record) }
        // The runner spawns the command and installs its cancellation handler with no suspension
        // point between them, so once the command has spoken a cancel finds the handler (or is
        // seen the moment it is installed): the figure below is the kill, not the pool's turn.
        try #require(await eventually { log.all.contains(.message("started")) })
        let text = try ChildProcess.run("/bin/cat", [dir + "/child"]).stdout
        let pid = try #require(Int32(text.split(separator: "\n").first ?? ""))
        // Timed on a thread of its own, so a busy cooperative pool cannot blur the figure: the
        // cancellation handler signals the group inside `cancel()`.
        let start = Subprocess.monotonicSeconds()
        task.cancel()
        let gone = await offPool { () -> Double? in
            eventually(onThisThread: .seconds(5)) { processHasEnded(pid) } ? Subprocess.monotonicSeconds() - start : nil
        }
        #expect(try #require(gone, "the command's child \(pid) survived") < 2)
        let outcome = await task.value
        #expect(outcome.status == .failed && outcome.error == "cancelled")
    }

    @Test func aCommandPrintingTenMegabytesKeepsABoundedResult() async {
        let outcome = await CommandRunner(command: "head -c 10485760 /dev/zero | tr '\\0' y", resultLimit: 64 * 1024)
            .run(
                Self.task("/tmp"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .succeeded)
        #expect((outcome.result?.utf8.count ?? 0) < 70 * 1024)
        #expect(outcome.result?.contains("bytes not kept") == true)
    }
}

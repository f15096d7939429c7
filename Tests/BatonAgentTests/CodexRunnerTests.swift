import BatonJSON
import BatonTestSupport
import Foundation
import Testing

@testable import BatonAgent

/// The runner against a script that speaks the app-server protocol (Fixtures/fake-codex).
@Suite struct CodexRunnerTests {
    static let fake = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fake-codex").path

    static func task(_ workspace: String, prompt: String) -> AgentTask {
        AgentTask(
            jobID: 5, prompt: prompt, provider: "codex", model: "gpt-5.1-codex", workspace: workspace, maxTurns: 5)
    }

    static func received(_ dir: String) throws -> [JSONValue] {
        try String(contentsOfFile: dir + "/rpc.log", encoding: .utf8).split(separator: "\n").map {
            try JSONParser.parse(String($0))
        }
    }

    @Test func aTurnRunsThroughTheHandshakeAndReportsTotals() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let log = EventLog()
        let outcome = await CodexRunner(command: Self.fake).run(
            Self.task(dir, prompt: "Fix the flaky test"), steer: AsyncStream { $0.finish() }, events: log.record)
        #expect(outcome.status == .succeeded, "\(outcome)")
        #expect(outcome.result == "done: Fix the flaky test")
        #expect(outcome.tokensInput == 100 && outcome.tokensOutput == 10)
        #expect(log.all.contains(.toolCall("make test")) && log.all.contains(.tokens(input: 100, output: 10)))
        let sent = try Self.received(dir)
        #expect(
            sent.map { $0["method"]?.stringValue ?? "" } == ["initialize", "initialized", "thread/start", "turn/start"])
        #expect(sent[0]["params"]?["clientInfo"]?["name"] == "baton")
        #expect(sent[1]["id"] == nil)  // a notification
        #expect(sent[2]["params"]?["cwd"]?.stringValue == dir && sent[2]["params"]?["model"] == "gpt-5.1-codex")
        #expect(sent[3]["params"]?["threadId"] == "thr_1")
        #expect(sent.allSatisfy { $0["jsonrpc"] == nil })
    }

    @Test(arguments: [CodexRunner.Approvals.accept, .decline])
    func approvalRequestsAreAnsweredByPolicy(policy: CodexRunner.Approvals) async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let outcome = await CodexRunner(command: Self.fake, approvals: policy).run(
            Self.task(dir, prompt: "APPROVE the cleanup"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.result == "decision: \(policy.rawValue)")
        let answer = try #require(try Self.received(dir).first { $0["id"] == 100 })
        #expect(answer["result"]?["decision"]?.stringValue == policy.rawValue)
    }

    @Test func aRequestForUserInputNeedsAPerson() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let outcome = await CodexRunner(command: Self.fake).run(
            Self.task(dir, prompt: "ASK which branch"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .needsInput)
        #expect(outcome.error?.contains("Which branch?") == true)
        #expect(try Self.received(dir).contains { $0["method"] == "turn/interrupt" })
    }

    @Test func aFailedTurnFailsWithItsError() async {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let outcome = await CodexRunner(command: Self.fake).run(
            Self.task(dir, prompt: "FAIL now"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .failed && outcome.error == "codex: the turn failed: quota exceeded")
    }

    @Test func aSeparateTurnFailedNotificationAlsoEndsTheTurn() async {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let outcome = await CodexRunner(command: Self.fake).run(
            Self.task(dir, prompt: "OLDSTYLE"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .failed && outcome.error == "codex: the turn failed: sandbox denied")
    }

    @Test func steeringBecomesTheNextTurnOfTheThread() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let (steer, input) = AsyncStream<String>.makeStream()
        let log = EventLog()
        let run = Task {
            await CodexRunner(command: Self.fake).run(
                Self.task(dir, prompt: "WAIT then fix"), steer: steer, events: log.record)
        }
        for _ in 0..<500 where !log.all.contains(.toolCall("make test")) {
            try await Task.sleep(for: .milliseconds(10))
        }
        input.yield("and add a regression test")
        let outcome = await run.value
        #expect(outcome.result == "done: and add a regression test")
        #expect(outcome.tokensInput == 200 && outcome.tokensOutput == 20)
        let turns = try Self.received(dir).filter { $0["method"] == "turn/start" }
        #expect(turns.count == 2 && turns.allSatisfy { $0["params"]?["threadId"] == "thr_1" })
    }

    @Test func cancellingEndsTheAppServer() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let log = EventLog()
        let run = Task {
            await CodexRunner(command: Self.fake).run(
                Self.task(dir, prompt: "SLEEP"), steer: AsyncStream { $0.finish() }, events: log.record)
        }
        for _ in 0..<500 where !log.all.contains(.turnStarted(1)) { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        let start = Subprocess.monotonicSeconds()
        run.cancel()
        let outcome = await run.value
        #expect(outcome.status == .failed && outcome.error == "cancelled")
        #expect(Subprocess.monotonicSeconds() - start < 5)
    }

    @Test func aMissingServerFailsClearly() async {
        let outcome = await CodexRunner(command: "/nonexistent/codex app-server").run(
            Self.task("/tmp", prompt: "x"), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("codex: the app-server exited before answering initialize") == true)
    }
}

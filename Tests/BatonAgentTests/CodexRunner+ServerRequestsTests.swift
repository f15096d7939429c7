import BatonJSON
import BatonTestSupport
import Foundation
import Testing

@testable import BatonAgent

/// The typed answers to server requests that the real codex 0.163.0 does not send in Baton's
/// configuration, so they are played by a script (Fixtures/codex-server-requests) sending each
/// with the params codex's own schema (`codex app-server generate-json-schema`) defines:
/// - `item/permissions/requestApproval` and `mcpServer/elicitation/request`: no code path of the
///   default codex reaches them (they need a permissions profile or an MCP server);
/// - `execCommandApproval` / `applyPatchApproval`: the v1 protocol, sent only to v1 clients;
/// - `item/tool/requestUserInput`: only in plan mode, which needs the experimental API;
/// - `item/tool/call` for a tool Baton did not register (its own is tested with the real CLI);
/// - `attestation/generate`: only when the client asks for attestation.
/// The approvals codex does send (commands, escalations) are tested against the real CLI in
/// CodexRunnerTests.
@Suite struct CodexServerRequestsTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/codex-server-requests").path

    /// Runs one turn that makes the script send `method`; returns the outcome and Baton's answer.
    static func answer(_ method: String, approvals: CodexRunner.Approvals = .decline) async throws -> (
        AgentOutcome, JSONValue, [JSONValue]
    ) {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        let outcome = await CodexRunner(
            command: script, settings: CodexRunner.Settings(approvalPolicy: "on-request", approvals: approvals)
        ).run(
            AgentTask(jobID: 1, prompt: "send \(method)", provider: "codex", workspace: dir),
            steer: AsyncStream { $0.finish() }, events: { _ in })
        let sent = try String(contentsOfFile: dir + "/rpc.log", encoding: .utf8).split(separator: "\n").map {
            try JSONParser.parse(String($0))
        }
        let reply = try #require(sent.first { $0["id"] == 0 && $0["method"] == nil })
        return (outcome, reply, sent)
    }

    @Test func permissionsAreGrantedAsRequestedOrNotAtAll() async throws {
        let (granted, yes, _) = try await Self.answer("item/permissions/requestApproval", approvals: .accept)
        #expect(granted.status == .succeeded)
        #expect(yes["result"]?["scope"] == "turn")
        #expect(yes["result"]?["permissions"]?["network"]?["enabled"] == true)
        #expect(yes["result"]?["permissions"]?["fileSystem"]?["write"]?.arrayValue?.first == "/srv/cache")
        let (_, no, _) = try await Self.answer("item/permissions/requestApproval", approvals: .decline)
        #expect(no["result"] == ["permissions": [:], "scope": "turn"])
        #expect(no["error"] == nil)
    }

    @Test func anElicitationIsDeclinedAsTheProtocolSays() async throws {
        let (outcome, reply, _) = try await Self.answer("mcpServer/elicitation/request", approvals: .accept)
        #expect(reply["result"] == ["action": "decline"])
        #expect(outcome.report?.approvals.first?.decision == "decline")
    }

    @Test(arguments: ["execCommandApproval", "applyPatchApproval"])
    func v1ApprovalsAnswerWithReviewDecisions(method: String) async throws {
        let (_, approved, _) = try await Self.answer(method, approvals: .accept)
        #expect(approved["result"] == ["decision": "approved"])
        let (_, denied, _) = try await Self.answer(method, approvals: .decline)
        #expect(denied["result"]?["decision"]?["denied"]?["rejection"]?.stringValue?.isEmpty == false)
    }

    @Test func aRequestForUserInputBlocksTheAttemptWithTheQuestion() async throws {
        let (outcome, reply, sent) = try await Self.answer("item/tool/requestUserInput")
        #expect(outcome.status == .needsInput)
        #expect(outcome.error == "codex asked: Which branch should I use?")
        #expect(reply["result"] == ["answers": [:]])
        #expect(sent.contains { $0["method"] == "turn/interrupt" })
    }

    @Test func aDynamicToolCallFailsInItsOwnShape() async throws {
        let (outcome, reply, _) = try await Self.answer("item/tool/call")
        #expect(outcome.status == .succeeded)
        #expect(reply["result"]?["success"] == false)
        #expect(reply["result"]?["contentItems"]?.arrayValue?.first?["type"] == "inputText")
    }

    @Test func aRequestBatonCannotAnswerGetsAJSONRPCError() async throws {
        let (_, reply, _) = try await Self.answer("attestation/generate")
        #expect(reply["error"]?["code"] == -32601)
    }
}

import BatonCore
import BatonCrypto
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonJobs
import BatonStore
import Testing

@testable import BatonAPI

/// The orchestrator through the router: signed Linear webhooks in, attempts out as jobs that a
/// worker (played by the protocol's own requests) leases and completes. Ticks and delivery
/// processing are run by the test, so every step is observed; the clock is the dispatcher's
/// manual one, so backoff and restarts are exact.
@Suite struct IssueRoutesTests {
    @Test func aSignedIssueWebhookRunsToCompletion() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        let answer = await c.deliver(c.issueDelivery("ENG-1", title: "Fix the login page"))
        #expect(answer.status == .ok && answer.json["received"] == true && answer.json["duplicate"] == false)
        // Stored before the answer, processed after it.
        #expect(try c.orchestratorRows().filter { $0.hasPrefix("webhook_deliveries:") }.count == 1)
        await c.webhooks.processPending()
        #expect(await c.issueJSON("ENG-1")["state"] == "queued")
        try await c.orchestrator.tick(tenant: "default")
        let running = await c.issueJSON("ENG-1")
        #expect(running["state"] == "running")
        let attempt = try #require(running["attempts"]?.arrayValue?.first)
        #expect(attempt["status"] == "running" && attempt["template"] == "default" && attempt["number"] == 1)
        #expect(attempt["prompt"]?.stringValue?.hasPrefix("You are working on ENG-1: Fix the login page") == true)
        let leased = try #require(await c.lease("w1"))
        #expect(.int(leased.id) == attempt["job"])
        #expect(await c.job(leased.id)["issue"] == "ENG-1")
        #expect(await c.complete(leased.id, token: leased.token, extra: #","result":"fixed""#).status == .ok)
        try await c.orchestrator.tick(tenant: "default")

        let done = await c.issueJSON("ENG-1")
        #expect(done["state"] == "completed", "\(done.text)")
        #expect(done["transitions"]?.arrayValue?.map { $0["to"] } == ["released", "queued", "running", "completed"])
        let state = await c.request(.get, "/api/v1/state").json
        #expect(state["counts"]?["completed"] == 1 && state["issues"]?["completed"]?[0]?["identifier"] == "ENG-1")
        let attempts = await c.request(.get, "/api/v1/ENG-1/attempts").json
        let id = try #require(attempts["attempts"]?[0]?["id"]?.intValue)
        let detail = await c.request(.get, "/api/v1/attempts/\(id)").json
        #expect(detail["status"] == "completed" && detail["worker"] == "w1" && detail["result"] == "fixed")
        let timeline = detail["timeline"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
        #expect(timeline.contains("issue.running") && timeline.contains("job.completed"), "\(timeline)")
        let events = try c.eventTypes()
        for type in ["issue.queued", "issue.running", "job.assigned", "job.completed", "issue.completed"] {
            #expect(events.contains(type), "no \(type) in \(events)")
        }
        let actions = try c.auditActions()
        #expect(actions.contains { $0.contains("webhooks/linear") }, "\(actions)")
        // And in the metrics.
        try await c.orchestrator.tickAll()
        let metrics = await c.request(.get, "/metrics").bodyText
        for line in [
            #"baton_attempts_total{outcome="completed"} 1"#, #"baton_issues{state="completed"} 1"#,
            #"baton_issue_transitions_total{to="completed"} 1"#,
            #"baton_webhook_deliveries_total{outcome="accepted"} 1"#,
        ] {
            #expect(metrics.contains(line), "no \(line)")
        }
    }

    /// An agent that says nothing for `agent.stall_timeout_ms` is stopped and its issue retried.
    @Test func aStalledAgentIsStoppedAndRetried() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        try await c.deliverAndTick(c.issueDelivery("ENG-23"))
        let leased = try #require(await c.lease("w1"))
        #expect(await c.send(.post, "/api/jobs/\(leased.id)/events", #"{"token":"\#(leased.token)"}"#).status == .ok)
        #expect(await c.job(leased.id)["status"] == "running")
        c.clock.advance(seconds: 299)
        try await c.orchestrator.tick(tenant: "default")
        #expect(await c.issueJSON("ENG-23")["state"] == "running")
        c.clock.advance(seconds: 2)
        try await c.orchestrator.tick(tenant: "default")
        let retrying = await c.issueJSON("ENG-23")
        #expect(retrying["state"] == "retrying", "\(retrying.text)")
        #expect(retrying["attempts"]?[0]?["status"] == "stalled")
        #expect(retrying["last_error"]?.stringValue?.hasPrefix("stalled: no agent event for 300 s") == true)
        #expect(await c.job(leased.id)["status"] == "cancelled")
        #expect(try c.commands("w1").contains { $0.contains("cancel_job") })
    }

    /// A restart while an attempt runs: a new dispatcher and orchestrator over the same file pick
    /// up the running attempt, and the worker's completion after the restart completes the issue.
    @Test func aRestartMidRunResumes() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        try await c.deliverAndTick(c.issueDelivery("ENG-24"))
        let leased = try #require(await c.lease("w1"))
        let dispatcher = try Dispatcher(
            database: c.database, events: c.events, settings: DispatchSettings(config: c.config.effective),
            metrics: MetricsRegistry(), clock: DispatchClock { c.clock.now })
        let orchestrator = Orchestrator(dispatcher: dispatcher, settings: OrchestratorSettings())
        try await orchestrator.tick(tenant: "default")
        #expect(try await orchestrator.issue("ENG-24", tenant: "default").state == .running)
        _ = try await dispatcher.complete(
            leased.id, tenant: "default", worker: "w1", .init(token: leased.token, result: "done after restart"))
        try await orchestrator.tick(tenant: "default")
        #expect(try await orchestrator.issue("ENG-24", tenant: "default").state == .completed)
        #expect(await c.request(.get, "/api/v1/ENG-24/attempts").json["attempts"]?.arrayValue?.count == 1)
    }

    @Test func aFailingAgentRetriesWithBackoffAcrossARestartThenSucceeds() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        try await c.deliverAndTick(c.issueDelivery("ENG-5"))
        let first = try #require(await c.lease("w1"))
        _ = await c.complete(first.id, token: first.token, extra: #","status":"failed","error":"tests failed""#)
        try await c.orchestrator.tick(tenant: "default")
        let retrying = await c.issueJSON("ENG-5")
        #expect(retrying["state"] == "retrying" && retrying["last_error"] == "tests failed")
        #expect(retrying["retry_at"] == .string(Timestamp.format(milliseconds: c.clock.now + 10_000)))

        // A restart mid-backoff: a new orchestrator over the same rows keeps the stored timer.
        let restarted = Orchestrator(dispatcher: c.dispatcher, settings: OrchestratorSettings())
        c.clock.advance(seconds: 9)
        try await restarted.tick(tenant: "default")
        #expect(await c.issueJSON("ENG-5")["state"] == "retrying")
        c.clock.advance(seconds: 1)
        try await restarted.tick(tenant: "default")
        let second = await c.issueJSON("ENG-5")
        #expect(second["state"] == "running" && second["attempt_count"] == 2)
        let prompt = second["attempts"]?[1]?["prompt"]?.stringValue ?? ""
        #expect(prompt.contains("This is attempt 2. The previous attempt ended with: tests failed"), "\(prompt)")
        let retry = try #require(await c.lease("w1"))
        _ = await c.complete(retry.id, token: retry.token)
        try await restarted.tick(tenant: "default")
        #expect(await c.issueJSON("ENG-5")["state"] == "completed")
    }

    @Test func attemptsRunOutIntoFailed() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        var settings = OrchestratorSettings()
        settings.maxAttempts = 2
        c.orchestrator.apply(settings)
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        try await c.deliverAndTick(c.issueDelivery("ENG-6"))
        for _ in 0..<2 {
            let leased = try #require(await c.lease("w1"))
            _ = await c.complete(leased.id, token: leased.token, extra: #","status":"failed","error":"boom""#)
            try await c.orchestrator.tick(tenant: "default")
            c.clock.advance(seconds: 20)
            await c.heartbeat("w1", provider: "dry-run")  // still online after the wait
            try await c.orchestrator.tick(tenant: "default")
        }
        let failed = await c.issueJSON("ENG-6")
        #expect(failed["state"] == "failed" && failed["attempt_count"] == 2, "\(failed.text)")
        // An operator may queue it again, with a fresh set of attempts.
        let again = await c.send(.post, "/api/v1/ENG-6/transition", #"{"to":"queued","reason":"fixed the flaky test"}"#)
        #expect(again.status == .ok && again.json["state"] == "queued")
        try await c.orchestrator.tick(tenant: "default")
        #expect(await c.issueJSON("ENG-6")["state"] == "running")
    }

    @Test func aNeedsInputFailureBlocksTheIssue() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        try await c.deliverAndTick(c.issueDelivery("ENG-7"))
        let leased = try #require(await c.lease("w1"))
        _ = await c.complete(
            leased.id, token: leased.token, extra: #","status":"needs_input","error":"which branch?""#)
        try await c.orchestrator.tick(tenant: "default")
        let blocked = await c.issueJSON("ENG-7")
        #expect(blocked["state"] == "blocked" && blocked["attempts"]?[0]?["status"] == "blocked")
        #expect(blocked["last_error"] == "which branch?")
        let job = await c.job(leased.id)
        #expect(job["needs_input"] == true && job["status"] == "failed")
    }

    @Test func aTerminalStateMidRunStopsTheAttemptAndRemovesTheWorkspace() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        try await c.deliverAndTick(c.issueDelivery("ENG-8"))
        let leased = try #require(await c.lease("w1"))
        try await c.deliverAndTick(c.issueDelivery("ENG-8", state: "Done", action: "update"))
        let released = await c.issueJSON("ENG-8")
        #expect(released["state"] == "released" && released["attempts"]?[0]?["status"] == "released")
        #expect(await c.job(leased.id)["status"] == "cancelled")
        let commands = try c.commands("w1")
        #expect(commands.contains { $0.contains("cancel_job") }, "\(commands)")
        #expect(commands.contains { $0.contains("remove_workspace") && $0.contains("ENG-8") }, "\(commands)")
        #expect(try c.eventTypes().contains("issue.workspace_removed"))
    }

    @Test func anIssueLeavingTheActiveStatesIsReleasedAndComesBack() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        try await c.deliverAndTick(c.issueDelivery("ENG-9", state: "Backlog"))
        #expect(await c.issueJSON("ENG-9")["state"] == "released")
        try await c.deliverAndTick(c.issueDelivery("ENG-9", state: "In Progress", action: "update"))
        // No worker yet: the attempt's job waits, the issue is running.
        #expect(await c.issueJSON("ENG-9")["state"] == "running")
        let remove: JSONValue = [
            "action": "remove", "type": "Issue", "data": ["identifier": "ENG-9"],
            "webhookTimestamp": .int(Timestamp.nowMilliseconds()),
        ]
        try await c.deliverAndTick(remove)
        #expect(await c.issueJSON("ENG-9")["state"] == "released")
    }

    @Test func aCommentWithThePrefixSteersARunningIssue() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        try await c.deliverAndTick(c.issueDelivery("ENG-10"))
        let leased = try #require(await c.lease("w1"))
        let ts = Timestamp.nowMilliseconds()
        try await c.deliverAndTick(
            LinearWebhook.commentPayload(issue: "ENG-10", body: "just a remark", timestampMs: ts))
        try await c.deliverAndTick(
            LinearWebhook.commentPayload(issue: "ENG-10", body: "/baton focus on the auth module", timestampMs: ts))
        let steers = try c.database.readBlocking { conn in
            try conn.query("SELECT message FROM job_steers WHERE job_id = ?1", [.integer(leased.id)]).compactMap {
                $0.string("message")
            }
        }
        #expect(steers == ["focus on the auth module"])
        // And through the API, with the same effect.
        let steer = await c.send(.post, "/api/v1/ENG-10/steer", #"{"message":"skip the tests for now"}"#)
        #expect(steer.status == .accepted)
        let report = await c.send(.post, "/api/jobs/\(leased.id)/events", #"{"token":"\#(leased.token)"}"#)
        let messages = report.json["steer"]?.arrayValue?.map { $0["message"] }
        #expect(messages == ["focus on the auth module", "skip the tests for now"], "\(report.bodyText)")
    }

    @Test func operatorTransitionsFollowTheTable() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        try await c.deliverAndTick(c.issueDelivery("ENG-11"))
        let leased = try #require(await c.lease("w1"))
        // From running: only execution may complete, retry, fail or block it; queued is not a successor.
        for target in ["completed", "retrying", "failed", "blocked", "queued", "running"] {
            let before = try c.orchestratorRows()
            let response = await c.send(.post, "/api/v1/ENG-11/transition", #"{"to":"\#(target)"}"#)
            #expect(response.status == .unprocessableContent, "\(target): \(response.bodyText)")
            #expect(response.json["code"] == "forbidden_transition")
            #expect(try c.orchestratorRows() == before)
        }
        let abort = await c.send(.post, "/api/v1/ENG-11/abort", #"{"reason":"wrong approach"}"#)
        #expect(abort.status == .accepted && abort.json["state"] == "aborted")
        #expect(await c.job(leased.id)["status"] == "cancelled")
        // aborted -> aborted / running are refused; released -> aborted too.
        #expect(await c.send(.post, "/api/v1/ENG-11/abort").status == .unprocessableContent)
        #expect(await c.send(.post, "/api/v1/ENG-11/transition", #"{"to":"released"}"#).status == .ok)
        #expect(await c.send(.post, "/api/v1/ENG-11/transition", #"{"to":"aborted"}"#).status == .unprocessableContent)
        let table = await c.request(.get, "/api/v1/transitions").json
        #expect(table["table"]?["released"]?["to"] == ["queued"])
        #expect(table["issues"]?[0]?["identifier"] == "ENG-11" && table["issues"]?[0]?["allowed"] == ["queued"])
    }

    /// Every move the table forbids an operator, from every state, is a 422 that changes nothing.
    @Test func everyForbiddenOperatorMoveIs422() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        try await c.deliverAndTick(c.issueDelivery("ENG-40", state: "Backlog"))
        for from in IssueState.allCases {
            try c.database.writeBlocking { conn in
                try conn.execute("UPDATE issues SET state = ?1 WHERE identifier = 'ENG-40'", [.text(from.rawValue)])
            }
            for to in IssueState.allCases where !from.allows(to, by: .operator) {
                let before = try c.orchestratorRows()
                let response = await c.send(.post, "/api/v1/ENG-40/transition", #"{"to":"\#(to.rawValue)"}"#)
                #expect(response.status == .unprocessableContent, "\(from) -> \(to): \(response.bodyText)")
                #expect(try c.orchestratorRows() == before, "\(from) -> \(to) changed rows")
            }
        }
    }

    @Test func perStateSlotsHoldBackTheRest() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        var settings = OrchestratorSettings()
        settings.maxConcurrentByState = ["todo": 1]
        c.orchestrator.apply(settings)
        try await c.storeWebhookSecret()
        for id in ["ENG-41", "ENG-42"] { #expect(await c.deliver(c.issueDelivery(id)).status == .ok) }
        #expect(await c.deliver(c.issueDelivery("ENG-43", state: "In Progress")).status == .ok)
        await c.webhooks.processPending()
        try await c.orchestrator.tick(tenant: "default")
        let state = await c.request(.get, "/api/v1/state").json
        #expect(state["counts"]?["running"] == 2 && state["counts"]?["queued"] == 1, "\(state.text)")
        #expect(state["issues"]?["queued"]?[0]?["identifier"] == "ENG-42")
    }

    /// Deliveries stored but not processed when the process died are processed by the next one.
    @Test func unprocessedDeliveriesResumeAfterARestart() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        #expect(await c.deliver(c.issueDelivery("ENG-44")).status == .ok)
        // A new orchestrator and inbox over the same file, as at the next start.
        let orchestrator = Orchestrator(dispatcher: c.dispatcher, settings: OrchestratorSettings())
        await WebhookInbox(orchestrator: orchestrator).processPending()
        #expect(try await orchestrator.issue("ENG-44", tenant: "default").state == .queued)
        let outcome = try c.database.readBlocking { conn in
            try conn.query("SELECT outcome FROM webhook_deliveries").compactMap { $0.string("outcome") }
        }
        #expect(outcome == ["ENG-44 is queued"])
        await c.webhooks.processPending()  // already processed: nothing applied twice
        #expect(await c.issueJSON("ENG-44")["transitions"]?.arrayValue?.count == 2)
    }

    @Test func badIssueRequestsChangeNothing() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        try await c.deliverAndTick(c.issueDelivery("ENG-12"))
        try await c.deliverAndTick(c.issueDelivery("ENG-15", state: "Backlog"))
        let viewer = try c.makeKey(.viewer, name: "viewer")
        let cases: [(HTTPMethod, String, String, String?, Int)] = [
            (.post, "/api/v1/ENG-12/transition", #"{"to":"sideways"}"#, nil, 400),
            (.post, "/api/v1/ENG-12/transition", #"{"to":"queued","extra":1}"#, nil, 400),
            (.post, "/api/v1/ENG-12/transition", #"{"to":"#, nil, 400),
            (.post, "/api/v1/ENG-99/transition", #"{"to":"queued"}"#, nil, 404),
            (.post, "/api/v1/not-an-issue/abort", "", nil, 404),
            (.post, "/api/v1/ENG-12/model", #"{"model":5}"#, nil, 400),
            (.post, "/api/v1/ENG-12/model", #"{"model":"x","restart":"yes"}"#, nil, 400),
            (.post, "/api/v1/ENG-15/model", #"{"model":"x","restart":true}"#, nil, 409),
            (.post, "/api/v1/ENG-15/steer", #"{"message":"not running"}"#, nil, 409),
            (.post, "/api/v1/ENG-12/steer", #"{"message":"   "}"#, nil, 400),
            (.post, "/api/v1/ENG-12/steer", #"{"message":"\#(String(repeating: "x", count: 16_385))"}"#, nil, 400),
            (.post, "/api/v1/ENG-12/model", #"{"model":"\#(String(repeating: "m", count: 201))"}"#, nil, 400),
            (.post, "/api/v1/ENG-12/template", #"{"template":"missing"}"#, nil, 404),
            (.post, "/api/v1/ENG-12/abort", "", viewer, 403),
            (
                .post, "/api/v1/ENG-12/transition",
                #"{"to":"aborted","reason":"\#(String(repeating: "x", count: 501))"}"#, nil, 400
            ),
        ]
        for (method, path, body, key, status) in cases {
            let before = try c.orchestratorRows()
            let response = await c.send(method, path, body, key: key)
            #expect(response.status.code == status, "\(method) \(path) \(body): \(response.bodyText)")
            #expect(try c.orchestratorRows() == before, "\(method) \(path) changed rows")
        }
        let anonymous = await c.request(.get, "/api/v1/ENG-12", anonymous: true)
        #expect(anonymous.status == .unauthorized)
    }

    @Test func modelAndTemplateOverridesApplyToTheNextAttempt() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        await c.heartbeat("w1", provider: "dry-run")
        try await c.deliverAndTick(c.issueDelivery("ENG-13"))
        let created = await c.send(
            .post, "/api/v1/templates", #"{"id":"short","body":"Do {{ issue.identifier | downcase }} now."}"#)
        #expect(created.status == .created, "\(created.bodyText)")
        #expect(await c.send(.post, "/api/v1/ENG-13/template", #"{"template":"short"}"#).status == .ok)
        let model = await c.send(.post, "/api/v1/ENG-13/model", #"{"model":"o4-mini","restart":true}"#)
        #expect(
            model.status == .accepted && model.json["state"] == "retrying" && model.json["model_override"] == "o4-mini")
        try await c.orchestrator.tick(tenant: "default")
        let detail = await c.issueJSON("ENG-13")
        let attempts = try #require(detail["attempts"]?.arrayValue)
        #expect(attempts.count == 2 && attempts[0]["status"] == "aborted")
        #expect(attempts[1]["model"] == "o4-mini" && attempts[1]["template"] == "short")
        #expect(attempts[1]["prompt"] == "Do eng-13 now.")
        let leased = try #require(await c.lease("w1"))
        #expect(await c.job(leased.id)["model"] == "o4-mini")
        // The template is in use: it cannot be deleted until the override is cleared.
        #expect(await c.request(.delete, "/api/v1/templates/short").status == .conflict)
        #expect(await c.request(.delete, "/api/v1/ENG-13/template").json["template_override"] == .null)
        #expect(await c.request(.delete, "/api/v1/templates/short").status == .noContent)
    }

    @Test func refreshAnswers202AndCoalesces() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let first = await c.send(.post, "/api/v1/refresh")
        #expect(first.status == .accepted && first.json["queued"] == true && first.json["coalesced"] == false)
        #expect(
            first.json["operations"] == ["reconcile", "dispatch"] && first.json["requested_at"]?.stringValue != nil)
        let second = await c.send(.post, "/api/v1/refresh")
        #expect(second.json["coalesced"] == true && second.json["requested_at"] == first.json["requested_at"])
        try await c.orchestrator.tickAll()
        #expect(await c.send(.post, "/api/v1/refresh").json["coalesced"] == false)
        #expect(await c.send(.post, "/api/v1/refresh", #"{"x":1}"#).status == .badRequest)
    }
}

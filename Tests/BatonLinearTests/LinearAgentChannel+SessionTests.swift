import BatonCore
import BatonJSON
import BatonJobs
import BatonStore
import BatonTemplates
import BatonTestSupport
import BatonWorkerProtocol
import Synchronization
import Testing

@testable import BatonIssues
@testable import BatonLinear

/// Agent sessions end to end below HTTP (SPEC §9.15): a signed delivery's body stored by the
/// inbox, the session and its activities as rows of a real SQLite file, and the sender posting
/// them to the loopback Linear over LinearAgentChannel, in Linear's wire format.
@Suite struct LinearAgentSessionTests {
    final class Harness: Sendable {
        let directory = TemporaryDirectory(prefix: "baton-agent-session")
        let database: Database
        let events: EventBus
        let dispatcher: Dispatcher
        let orchestrator: Orchestrator
        let inbox: WebhookInbox
        let linear: FakeLinear
        let channel: LinearAgentChannel
        /// Added to the real clock for the sender, so a test can move past a backoff at once.
        let skewMs = Mutex<Int64>(0)

        init(template: String = "default", linearIssues: [FakeLinear.Issue] = []) throws {
            database = try Database(path: directory.path + "/baton.db")
            _ = try database.migrate(BatonMigrations.all())
            events = try EventBus(database: database)
            dispatcher = try Dispatcher(database: database, events: events)
            orchestrator = Orchestrator(
                dispatcher: dispatcher,
                settings: OrchestratorSettings(config: ["agent": ["template": .string(template)]]))
            inbox = WebhookInbox(orchestrator: orchestrator)
            linear = FakeLinear(linearIssues)
            let url = try linear.start()
            channel = LinearAgentChannel(client: LinearClient(endpoint: url, apiKey: { FakeLinear.apiKey }))
        }

        /// A sender on the real clock moved by `skewMs`, or stopped at `frozenAt` (so a backoff
        /// never ends within a pass, however slow a loaded machine makes it).
        func sender(perSecond: Int = 50, frozenAt: Int64? = nil) -> AgentActivitySender {
            AgentActivitySender(
                orchestrator: orchestrator, channel: channel, perSecond: perSecond,
                pageURL: { "http://127.0.0.1:4000/#/issues/" + $0 },
                now: { frozenAt ?? (Timestamp.nowMilliseconds() + self.skewMs.withLock { $0 }) })
        }

        /// Stores and processes one delivery as the webhook route and the inbox loop would.
        func deliver(_ payload: JSONValue, id: String) async throws {
            let body = payload.text
            let delivery = try LinearWebhook.parse(Array(body.utf8), agentSessions: true)
            #expect(try await inbox.store(id: id, tenant: "default", delivery: delivery, body: body))
            await inbox.processPending()
        }

        func rows(_ sql: String) async throws -> [[String: String]] {
            try await database.read { conn in
                try conn.query(sql).map { row in
                    var out: [String: String] = [:]
                    for name in [
                        "id", "state", "type", "attempts", "session_id", "issue", "status", "agent_session",
                        "seq", "external_url_state", "prompt", "outcome",
                    ] {
                        if let value = row.string(name) ?? row.int(name).map(String.init) { out[name] = value }
                    }
                    return out
                }
            }
        }

        func close() async {
            await linear.stop()
            await database.close()
            directory.remove()
        }
    }

    static let issue = TrackedIssue(
        identifier: "ENG-7", trackerID: "issue-7", title: "Fix the redirect", description: "It loops.", state: "Todo",
        url: "https://linear.app/acme/issue/ENG-7")

    static func created(_ session: String = "session-1", at ms: Int64 = Timestamp.nowMilliseconds()) -> JSONValue {
        LinearWebhook.agentSessionPayload(
            sessionID: session, issue: issue, comment: "@baton please fix this",
            promptContext: "<issue identifier=\"ENG-7\">Fix the redirect</issue>", timestampMs: ms)
    }

    /// Delegation: a thought in Linear within 10 s of the delivery, whatever else happens; the
    /// issue queued, and its attempt rendered with the session's prompt context and linked to it.
    @Test func delegationIsAcknowledgedWithinTenSecondsAndStartsTheAttempt() async throws {
        let h = try Harness(
            template: "agent",
            linearIssues: [
                FakeLinear.Issue(id: "issue-7", identifier: "ENG-7", title: "Fix the redirect", state: "Todo")
            ])
        defer { Task { await h.close() } }
        _ = try await TemplateStore.save(
            "agent", body: "Work on {{ issue.identifier }}. Context: {{ agent_session.prompt_context }}",
            description: nil, create: true, tenant: "default", database: h.database)
        // As `baton serve` runs them: the inbox loop and the sender, each a task of its own.
        let sender = h.sender()
        let sending = Task { await sender.run() }
        let processing = Task { await h.inbox.run() }
        defer {
            sending.cancel()
            processing.cancel()
        }
        let body = Self.created().text
        let delivery = try LinearWebhook.parse(Array(body.utf8), agentSessions: true)
        #expect(try await h.inbox.store(id: "delivery-1", tenant: "default", delivery: delivery, body: body))
        // Stored: the moment the webhook route answers 200, and Linear's 10 s begin.
        let deliveredAt = Timestamp.nowMilliseconds()
        h.inbox.notify()
        #expect(await eventually(timeout: .seconds(10)) { !h.linear.activities.isEmpty })
        let first = try #require(h.linear.activities.first)
        #expect(first.receivedAtMs - deliveredAt <= 10_000)
        #expect(first.sessionID == "session-1" && first.content["type"] == "thought")
        #expect(first.content["body"] == "Baton is starting work on ENG-7.")
        // The session links to Baton's page for the issue.
        #expect(await eventually(timeout: .seconds(10)) { h.linear.externalURLs["session-1"] != nil })
        #expect(
            h.linear.externalURLs["session-1"] == [["label": "Baton", "url": "http://127.0.0.1:4000/#/issues/ENG-7"]])
        // Linear's guidance: the issue moves to its team's first started state, Baton its delegate.
        #expect(await eventually(timeout: .seconds(10)) { h.linear.issues.first?.delegate == "baton-app-user" })
        #expect(h.linear.issues.first?.state == "In Progress")
        // Recorded once Linear has answered, so a moment after Linear saw the update.
        #expect(
            await eventually(timeout: .seconds(10)) {
                (try? await h.rows("SELECT start_state AS state FROM agent_sessions").first?["state"]) == "done"
            })
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .queued)
        // A worker, a tick: the attempt renders the session's context and is linked to it.
        _ = try await h.dispatcher.presence(PresenceReport(instance: "w1", provider: "dry-run"), tenant: "default")
        try await h.orchestrator.tick(tenant: "default")
        let attempts = try await h.rows("SELECT agent_session, prompt FROM attempts WHERE issue = 'ENG-7'")
        #expect(attempts.count == 1 && attempts.first?["agent_session"] == "session-1")
        #expect(
            attempts.first?["prompt"] == "Work on ENG-7. Context: <issue identifier=\"ENG-7\">Fix the redirect</issue>")
        let stored = try await h.rows("SELECT id, state, type FROM agent_activities ORDER BY seq")
        #expect(stored.map { $0["state"] } == ["delivered"] && stored.first?["id"] == first.id)
    }

    /// Delegation to the end: the acknowledgment, the agent's commands as actions and its words
    /// as thoughts (from its progress reports), then the result as the response; the issue is
    /// completed, the session ended, and the issue's view shows it all with delivery states.
    @Test func delegationThoughtActionsResponseAndTheIssueCompleted() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        let metrics = MetricsRegistry()
        let sender = AgentActivitySender(
            orchestrator: h.orchestrator, channel: h.channel, perSecond: 50, metrics: metrics)
        let follower = AgentProgressFollower(orchestrator: h.orchestrator)
        let progress = try await h.events.subscribe(
            after: nil, filter: EventFilter(types: ["job.progress"]), isClient: false)
        try await h.deliver(Self.created(), id: "delivery-1")
        _ = try await h.dispatcher.presence(PresenceReport(instance: "w1", provider: "dry-run"), tenant: "default")
        try await h.orchestrator.tick(tenant: "default")
        let lease = try #require(try await h.dispatcher.lease(worker: "w1", tenant: "default", wait: .zero))
        for (commands, command, message) in [
            (1, "rg redirect src/", "Looking for the redirect"), (3, "swift test", "The tests pass"),
        ] {
            _ = try await h.dispatcher.report(
                lease.job.id, tenant: "default", worker: "w1",
                ProgressReport(
                    token: lease.token,
                    progress: [
                        "turn": 1, "commands": .int(Int64(commands)), "last_command": .string(command),
                        "recent_messages": [.string(message)],
                    ]))
        }
        // The follower's loop, one event at a time, as `run` does.
        var handled = 0
        for await event in progress {
            await follower.handle(event)
            handled += 1
            if handled == 2 { break }
        }
        _ = try await h.dispatcher.complete(
            lease.job.id, tenant: "default", worker: "w1", .init(token: lease.token, result: "Fixed the redirect."))
        try await h.orchestrator.tick(tenant: "default")
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .completed)
        #expect(await sender.sendDue() == 4)
        let sent = h.linear.activities.map { activity -> String in
            let content = activity.content
            let text = content["body"]?.stringValue ?? content["parameter"]?.stringValue ?? ""
            return "\(content["type"]?.stringValue ?? "") \(text)"
        }
        // The first message's thought was replaced by the second action before it went out.
        #expect(
            sent == [
                "thought Baton is starting work on ENG-7.", "action rg redirect src/",
                "action swift test (and 1 more)",
                "response Baton completed ENG-7 (attempt 1).\n\nFixed the redirect.",
            ])
        let view = try await h.orchestrator.detailJSON("ENG-7", tenant: "default")
        let session = try #require(view["agent_sessions"]?.arrayValue?.first)
        #expect(session["id"] == "session-1" && session["status"] == "ended")
        let states = session["activities"]?.arrayValue?.map {
            "\($0["type"]?.stringValue ?? "") \($0["state"]?.stringValue ?? "")"
        }
        #expect(
            states == [
                "thought delivered", "action delivered", "thought coalesced", "action delivered", "thought coalesced",
                "response delivered",
            ])
        let text = metrics.exposition()
        #expect(text.contains("baton_agent_activities_total{type=\"action\",outcome=\"delivered\"} 2"))
        #expect(text.contains("baton_agent_activities_total{type=\"response\",outcome=\"delivered\"} 1"))
    }

    /// Linear answering 429 and 500 (one of them after it created the activity): each is
    /// retried, the order kept, and nothing created twice.
    @Test func failuresAreRetriedInOrderWithoutDuplicates() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        try await h.deliver(Self.created(), id: "delivery-1")
        try await h.database.write { conn in
            for text in ["Reading the code", "Changing the redirect"] {
                try conn.execute(
                    """
                    INSERT INTO agent_activities (id, tenant, session_id, seq, type, content, created_at)
                    VALUES (?1, 'default', 'session-1',
                        (SELECT max(seq) + 1 FROM agent_activities WHERE session_id = 'session-1'), 'action', ?2, ?3)
                    """,
                    [
                        .text(AgentActivityID.make()),
                        .text(AgentActivityContent.action(action: text, parameter: "src/", result: nil).json.text),
                        .text(Timestamp.now()),
                    ])
            }
        }
        h.linear.failActivityCreates([.serverError, .createdThenServerError, .rateLimited])
        let sender = h.sender()
        // Each pass moves the sender's clock 5 s on, past the first backoffs; the loopback's 429
        // holds the client itself for a second of real time.
        let done = await eventually(timeout: .seconds(30), interval: .milliseconds(100)) {
            h.skewMs.withLock { $0 += 5_000 }
            await sender.sendDue()
            return (try? await h.rows("SELECT state FROM agent_activities WHERE state != 'delivered'"))?.isEmpty
                ?? false
        }
        #expect(done)
        let stored = try await h.rows("SELECT id, attempts FROM agent_activities ORDER BY seq")
        #expect(h.linear.activities.map(\.id) == stored.compactMap { $0["id"] })
        #expect(Set(h.linear.activities.map(\.id)).count == 3)
        #expect(h.linear.activities.map { $0.content["type"] } == ["thought", "action", "action"])
        // The first failed with a 500 before and after Linear created it; the check found it.
        let creates = h.linear.recorded.filter { $0.operation == "BatonAgentActivityCreate" }
        let lookups = h.linear.recorded.filter { $0.operation == "BatonAgentActivity" }
        #expect(lookups.count >= 2)
        #expect(creates.filter { $0.variables["input"]?["id"]?.stringValue == stored[0]["id"] }.count == 2)
    }

    /// `tracker.agent.activities_per_second`: at most that many requests in any second, in order.
    @Test func activitiesGoNoFasterThanTheRate() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        try await h.deliver(Self.created(), id: "delivery-1")
        try await h.database.write { conn in
            for n in 1...4 {
                try AgentSessionRows.enqueue(
                    .action(action: "Ran", parameter: "step \(n)", result: nil), session: "session-1",
                    tenant: "default",
                    now: Timestamp.now(), in: conn)
            }
        }
        #expect(await h.sender(perSecond: 2).sendDue() == 5)
        let received = h.linear.activities.map(\.receivedAtMs)
        #expect(received.count == 5)
        // Any three consecutive requests span about a second: the sender counts a request when
        // it starts, the fake when it arrives, so a slower first arrival shortens the span a little
        // (unthrottled, the three arrive within milliseconds).
        for i in 0..<(received.count - 2) { #expect(received[i + 2] - received[i] >= 800, "\(received)") }
        #expect(
            h.linear.activities.map { $0.content["parameter"]?.stringValue ?? "thought" } == [
                "thought", "step 1", "step 2", "step 3", "step 4",
            ])
    }

    /// A restart between Linear creating an activity and Baton hearing so: the new sender finds
    /// it in Linear and does not create it again.
    @Test func aRestartMidSendSendsNothingTwice() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        try await h.deliver(Self.created(), id: "delivery-1")
        h.linear.failActivityCreates([.createdThenServerError])
        let startedAt = Timestamp.nowMilliseconds()
        #expect(await h.sender(frozenAt: startedAt).sendDue() == 0)
        #expect(h.linear.activities.count == 1)
        let pending = try await h.rows("SELECT state, attempts FROM agent_activities")
        #expect(pending.first?["state"] == "pending" && pending.first?["attempts"] == "1")
        // "Restart": a new sender over the same rows, once the backoff is over.
        #expect(await h.sender(frozenAt: startedAt + 61_000).sendDue() == 1)
        #expect(h.linear.activities.count == 1)
        #expect(h.linear.recorded.filter { $0.operation == "BatonAgentActivityCreate" }.count == 1)
        #expect(try await h.rows("SELECT state FROM agent_activities").first?["state"] == "delivered")
    }

    /// A chatty agent: ephemeral thoughts that a later activity replaces in Linear anyway are
    /// never sent; the acknowledgment and the final response are.
    @Test func ephemeralThoughtsAreCoalesced() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        try await h.deliver(Self.created(), id: "delivery-1")
        try await h.database.write { conn in
            for n in 1...3 {
                try AgentSessionRows.enqueue(
                    .thought("step \(n)"), ephemeral: true, session: "session-1", tenant: "default",
                    now: Timestamp.now(), in: conn)
            }
            try AgentSessionRows.enqueue(
                .response("Done"), session: "session-1", tenant: "default", now: Timestamp.now(), in: conn)
        }
        #expect(await h.sender().sendDue() == 2)
        let stored = try await h.rows("SELECT type, state FROM agent_activities ORDER BY seq")
        #expect(stored.map { $0["state"] } == ["delivered", "coalesced", "coalesced", "coalesced", "delivered"])
        #expect(h.linear.activities.map { $0.content["type"] } == ["thought", "response"])
    }

    static func prompted(_ text: String, signal: String? = nil) -> JSONValue {
        LinearWebhook.agentSessionPayload(
            action: "prompted", sessionID: "session-1", issue: issue, prompt: text, signal: signal,
            timestampMs: Timestamp.nowMilliseconds())
    }

    /// A prompt while the agent runs steers it: the message waits for the worker's next report.
    @Test func aPromptSteersTheRunningAgent() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        try await h.deliver(Self.created(), id: "delivery-1")
        _ = try await h.dispatcher.presence(PresenceReport(instance: "w1", provider: "dry-run"), tenant: "default")
        try await h.orchestrator.tick(tenant: "default")
        let lease = try #require(try await h.dispatcher.lease(worker: "w1", tenant: "default", wait: .zero))
        try await h.deliver(Self.prompted("Also handle the logout page"), id: "delivery-2")
        let answer = try await h.dispatcher.report(
            lease.job.id, tenant: "default", worker: "w1", ProgressReport(token: lease.token))
        #expect(answer.steer.map(\.message) == ["Also handle the logout page"])
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .running)
        let outcome = try await h.rows("SELECT outcome FROM webhook_deliveries WHERE delivery_id = 'delivery-2'")
        #expect(outcome.first?["outcome"] == "agent session session-1: steered ENG-7")
    }

    /// A prompt after the work is done starts a follow-up attempt of the same issue (so in its
    /// workspace), whose template sees the prompt.
    @Test func aPromptAfterCompletionStartsAFollowUp() async throws {
        let h = try Harness(template: "agent")
        defer { Task { await h.close() } }
        _ = try await TemplateStore.save(
            "agent", body: "{{ issue.identifier }}{% if agent_session.prompt %}: {{ agent_session.prompt }}{% endif %}",
            description: nil, create: true, tenant: "default", database: h.database)
        try await h.deliver(Self.created(), id: "delivery-1")
        _ = try await h.dispatcher.presence(PresenceReport(instance: "w1", provider: "dry-run"), tenant: "default")
        try await h.orchestrator.tick(tenant: "default")
        let lease = try #require(try await h.dispatcher.lease(worker: "w1", tenant: "default", wait: .zero))
        _ = try await h.dispatcher.complete(
            lease.job.id, tenant: "default", worker: "w1", .init(token: lease.token, result: "Done."))
        try await h.orchestrator.tick(tenant: "default")
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .completed)
        try await h.deliver(Self.prompted("Now the logout page too"), id: "delivery-2")
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .queued)
        _ = try await h.dispatcher.presence(PresenceReport(instance: "w1", provider: "dry-run"), tenant: "default")
        try await h.orchestrator.tick(tenant: "default")
        let attempts = try await h.rows(
            "SELECT a.prompt, a.agent_session, j.issue FROM attempts a JOIN jobs j ON j.id = a.job_id ORDER BY a.number"
        )
        #expect(attempts.map { $0["prompt"] } == ["ENG-7", "ENG-7: Now the logout page too"])
        #expect(attempts.map { $0["agent_session"] } == ["session-1", "session-1"])
        #expect(attempts.map { $0["issue"] } == ["ENG-7", "ENG-7"])
        #expect(try await h.rows("SELECT status FROM agent_sessions").first?["status"] == "active")
    }

    /// A delegated issue is worked on whatever its Linear state (Linear may still say Backlog);
    /// a terminal state still releases it.
    @Test func aDelegatedIssueIsNotReleasedForAnInactiveStateButIsForATerminalOne() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        try await h.deliver(Self.created(), id: "delivery-1")
        var issue = Self.issue
        issue.state = "Backlog"
        try await h.deliver(
            LinearWebhook.issuePayload(issue, action: "update", timestampMs: Timestamp.nowMilliseconds()),
            id: "delivery-2")
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .queued)
        issue.state = "Done"
        try await h.deliver(
            LinearWebhook.issuePayload(issue, action: "update", timestampMs: Timestamp.nowMilliseconds() + 1),
            id: "delivery-3")
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .released)
    }

    /// `stop`: the running attempt is aborted at once and answered with a final response.
    /// A session for another app user (another installation of the app) is not acted on once
    /// Baton knows its own: nothing stored, no work started.
    @Test func aSessionOfAnotherAppUserIsIgnored() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        h.orchestrator.setAgentAppUser("someone-else")
        let before = try await h.rows("SELECT count(*) AS id FROM issues")
        try await h.deliver(Self.created(), id: "delivery-1")
        #expect(try await h.rows("SELECT session_id FROM agent_sessions").isEmpty)
        #expect(try await h.rows("SELECT count(*) AS id FROM issues") == before)
        #expect(
            try await h.rows("SELECT outcome FROM webhook_deliveries").first?["outcome"]?.hasPrefix("ignored") == true)
        // Its own app user's session is.
        h.orchestrator.setAgentAppUser(Self.created()["appUserId"]?.stringValue)
        try await h.deliver(Self.created("session-2"), id: "delivery-2")
        #expect(try await h.rows("SELECT session_id FROM agent_sessions").map { $0["session_id"] } == ["session-2"])
    }

    /// A Baton set up for one team (`tracker.team_key`) starts nothing on another team's issue,
    /// however it is delegated: the session is answered with an error and ended.
    @Test func aDelegationOutsideTheTeamIsRefusedWithAnError() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        h.orchestrator.apply(OrchestratorSettings(config: ["tracker": ["team_key": "OPS"]]))
        try await h.deliver(Self.created(), id: "delivery-1")
        #expect(try await h.rows("SELECT identifier AS id FROM issues").isEmpty)
        let session = try await h.rows("SELECT status, external_url_state FROM agent_sessions")
        #expect(session.first?["status"] == "ended")
        #expect(try await h.rows("SELECT start_state AS state FROM agent_sessions").first?["state"] == "none")
        #expect(try await h.rows("SELECT type FROM agent_activities").map { $0["type"] } == ["error"])
        // The same team's delegation is taken.
        h.orchestrator.apply(OrchestratorSettings(config: ["tracker": ["team_key": "eng"]]))
        try await h.deliver(Self.created("session-2"), id: "delivery-2")
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .queued)
    }

    /// A prompt meant for a running attempt that ended before the steer (between the delivery's
    /// commit and the steer) is not lost: it starts the follow-up.
    @Test func aPromptWhoseAttemptEndedFirstStartsTheFollowUp() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        try await h.deliver(Self.created(), id: "delivery-1")
        _ = try await h.orchestrator.abort("ENG-7", reason: "ended meanwhile", tenant: "default", actor: "ops")
        let outcome = await h.orchestrator.steerPrompt("ENG-7", message: "Also fix the tests", tenant: "default")
        #expect(outcome?.contains("queued for a follow-up") == true)
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .queued)
    }

    /// Work stopped outside the session (an operator's abort, the issue closed in Linear) ends it
    /// with a last word, so no session stays open for ever.
    @Test func anOperatorsAbortOrAReleaseEndsTheSession() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        try await h.deliver(Self.created(), id: "delivery-1")
        _ = try await h.orchestrator.abort("ENG-7", reason: "not now", tenant: "default", actor: "ops")
        #expect(try await h.rows("SELECT status FROM agent_sessions").first?["status"] == "ended")
        let types = try await h.rows("SELECT type FROM agent_activities ORDER BY seq").map { $0["type"] }
        #expect(types == ["thought", "response"])
        // A new session on the same issue, then the issue is closed in Linear: ended too.
        try await h.deliver(Self.created("session-2"), id: "delivery-2")
        var done = Self.issue
        done.state = "Done"
        try await h.orchestrator.ingest(done, tenant: "default", actor: "webhook")
        let sessions = try await h.rows("SELECT session_id, status FROM agent_sessions ORDER BY session_id")
        #expect(sessions.map { $0["status"] } == ["ended", "ended"])
    }

    @Test func stopAbortsTheRunningAttemptAndIsAnswered() async throws {
        let h = try Harness()
        defer { Task { await h.close() } }
        try await h.deliver(Self.created(), id: "delivery-1")
        _ = try await h.dispatcher.presence(PresenceReport(instance: "w1", provider: "dry-run"), tenant: "default")
        try await h.orchestrator.tick(tenant: "default")
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .running)
        try await h.deliver(
            LinearWebhook.agentSessionPayload(
                action: "prompted", sessionID: "session-1", issue: Self.issue, prompt: "", signal: "stop",
                timestampMs: Timestamp.nowMilliseconds()), id: "delivery-2")
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .aborted)
        let jobs = try await h.rows("SELECT status FROM jobs")
        #expect(jobs.map { $0["status"] } == ["cancelled"])
        // After a stop only the answer goes to Linear: the thought still owed is dropped, and the
        // issue is neither moved nor delegated any more.
        #expect(await h.sender().sendDue() == 1)
        #expect(h.linear.activities.map { $0.content["type"] } == ["response"])
        #expect(h.linear.activities.last?.content["body"] == "Stopped: Baton aborted its work on ENG-7.")
        #expect(try await h.rows("SELECT status FROM agent_sessions").first?["status"] == "stopped")
        #expect(
            try await h.rows("SELECT state FROM agent_activities ORDER BY seq").map { $0["state"] } == [
                "coalesced", "delivered",
            ])
        #expect(try await h.rows("SELECT start_state AS state FROM agent_sessions").first?["state"] == "none")
        // A second `created` for the same session (a retried delivery under a new id) does not
        // start the stopped work again.
        try await h.deliver(Self.created(), id: "delivery-3")
        #expect(try await h.orchestrator.issue("ENG-7", tenant: "default").state == .aborted)
        #expect(try await h.rows("SELECT state FROM agent_activities").count == 2)
    }
}

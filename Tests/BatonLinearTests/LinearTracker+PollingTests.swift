import BatonCore
import BatonIssues
import BatonJSON
import BatonJobs
import BatonStore
import BatonTestSupport
import BatonWorkerProtocol
import Testing

@testable import BatonLinear

/// The orchestrator polling a loopback Linear: a real SQLite file, a real dispatcher, a worker
/// played through the dispatcher's own calls, and write-back observed on the fake's side.
@Suite struct LinearPollingTests {
    final class Harness: Sendable {
        let directory = TemporaryDirectory(prefix: "baton-linear")
        let database: Database
        let events: EventBus
        let dispatcher: Dispatcher
        let orchestrator: Orchestrator
        let linear: FakeLinear
        let tracker: LinearTracker

        init(_ issues: [FakeLinear.Issue]) throws {
            database = try Database(path: directory.path + "/baton.db")
            _ = try database.migrate(BatonMigrations.all())
            events = try EventBus(database: database)
            dispatcher = try Dispatcher(database: database, events: events)
            orchestrator = Orchestrator(dispatcher: dispatcher, settings: OrchestratorSettings())
            linear = FakeLinear(issues)
            let url = try linear.start()
            tracker = LinearTracker(
                client: LinearClient(endpoint: url, apiKey: { FakeLinear.apiKey }), filter: .init(teamKey: "ENG"))
        }

        func state(_ identifier: String) async throws -> IssueState {
            try await orchestrator.issue(identifier, tenant: "default").state
        }

        func close() async {
            await linear.stop()
            await database.close()
            directory.remove()
        }
    }

    @Test func pollingFindsAnIssueNoWebhookAnnouncedAndFollowsItToTheEnd() async throws {
        let h = try Harness([
            FakeLinear.Issue(id: "uuid-1", identifier: "ENG-1", title: "Polled", state: "Todo", priority: 1),
            FakeLinear.Issue(id: "uuid-2", identifier: "ENG-2", title: "Not yet", state: "Backlog"),
        ])
        let writeBack = LinearWriteBack(tracker: h.tracker, orchestrator: h.orchestrator, settings: .init())
        _ = try await h.dispatcher.presence(PresenceReport(instance: "w1", provider: "dry-run"), tenant: "default")
        try await h.orchestrator.poll(h.tracker, tenant: "default")
        #expect(try await h.state("ENG-1") == .queued)
        // Backlog is not active: ENG-2 was never a candidate, so Baton does not know it.
        await #expect(throws: IssueError.self) { try await h.orchestrator.issue("ENG-2", tenant: "default") }
        let stream = try await h.events.subscribe(after: 0, filter: EventFilter(types: LinearWriteBack.eventTypes))
        // The dispatcher runs on the real clock: a heartbeat now keeps w1 eligible however long
        // the polling above took on a loaded machine (stale after router.stale_after_s).
        _ = try await h.dispatcher.presence(PresenceReport(instance: "w1", provider: "dry-run"), tenant: "default")
        try await h.orchestrator.tick(tenant: "default")
        #expect(try await h.state("ENG-1") == .running)
        let lease = try #require(try await h.dispatcher.lease(worker: "w1", tenant: "default", wait: .zero))
        _ = try await h.dispatcher.complete(
            lease.job.id, tenant: "default", worker: "w1", .init(token: lease.token, result: "Fixed the redirect."))
        try await h.orchestrator.tick(tenant: "default")
        #expect(try await h.state("ENG-1") == .completed)
        var handled = 0
        for await event in stream {
            await writeBack.handle(event)
            handled += 1
            if handled == 2 { break }
        }
        // Started on the first attempt, then commented and moved to review.
        #expect(h.linear.issues[0].state == "In Review")
        #expect(h.linear.comments.map(\.body) == ["Baton: attempt 1 completed.\n\nFixed the redirect."])
        let moves = h.linear.recorded.filter { $0.operation == "BatonIssueUpdate" }.map {
            $0.variables["input"]?["stateId"]
        }
        #expect(moves == ["state-In Progress", "state-In Review"])
        // In Review is not active: the next poll refreshes ENG-1 by id and releases it.
        try await h.orchestrator.poll(h.tracker, tenant: "default")
        #expect(try await h.state("ENG-1") == .released)
        await h.close()
    }

    @Test func anIssueMovedToDoneOrDeletedInLinearIsReleasedAtTheNextPoll() async throws {
        let h = try Harness([
            FakeLinear.Issue(id: "uuid-1", identifier: "ENG-1", title: "One", state: "Todo"),
            FakeLinear.Issue(id: "uuid-2", identifier: "ENG-2", title: "Two", state: "In Progress"),
        ])
        try await h.orchestrator.poll(h.tracker, tenant: "default")
        try await h.orchestrator.tick(tenant: "default")
        #expect(try await h.state("ENG-1") == .running)
        #expect(try await h.state("ENG-2") == .running)
        h.linear.update("ENG-1") { $0.state = "Done" }
        h.linear.issues = h.linear.issues.filter { $0.identifier != "ENG-2" }
        try await h.orchestrator.poll(h.tracker, tenant: "default")
        #expect(try await h.state("ENG-1") == .released)
        #expect(try await h.state("ENG-2") == .released)
        let jobs = try await h.dispatcher.jobs(tenant: "default", status: nil, provider: nil, limit: 10, offset: 0)
        #expect(jobs.jobs.allSatisfy { $0.status == .cancelled })
        await h.close()
    }

    @Test func aRateLimitedPollFailsWithoutChangingAnything() async throws {
        let h = try Harness([FakeLinear.Issue(id: "uuid-1", identifier: "ENG-1", title: "One", state: "Todo")])
        h.linear.rateLimit(next: 1)
        await #expect {
            try await h.orchestrator.poll(h.tracker, tenant: "default")
        } throws: { error in
            if case LinearError.rateLimited = error { return true }
            return false
        }
        await #expect(throws: IssueError.self) { try await h.orchestrator.issue("ENG-1", tenant: "default") }
        await h.close()
    }
}

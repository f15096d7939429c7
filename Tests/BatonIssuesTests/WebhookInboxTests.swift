import BatonCoreFixtures
import BatonJSON
import BatonStore
import Testing

@testable import BatonCore
@testable import BatonIssues
@testable import BatonJobs

/// The webhook inbox driven directly (no HTTP, no run loop) over a real migrated SQLite file:
/// deliveries are stored, then `processPending` applies them in the order they arrived, each once,
/// including those a crash left unprocessed.
@Suite struct WebhookInboxTests {
    static let tenant = "default"
    static let inboxTables = ["issues", "issue_transitions", "attempts", "jobs", "webhook_deliveries", "events"]

    /// Stores a Linear issue delivery with id `id`; returns whether it was new.
    @discardableResult
    static func store(
        _ core: Core, id: String, _ identifier: String, state: String = "Todo", title: String = "Fix it",
        action: String = "update"
    ) async throws -> Bool {
        let payload = LinearWebhook.issuePayload(
            TrackedIssue(identifier: identifier, title: title, state: state, priority: 2, labels: ["bug"]),
            action: action, timestampMs: Timestamp.nowMilliseconds())
        let body = payload.text
        let delivery = try LinearWebhook.parse(Array(body.utf8))
        return try await core.inbox.store(id: id, tenant: tenant, delivery: delivery, body: body)
    }

    /// Each delivery's outcome by id, in arrival order (nil while unprocessed).
    static func outcomes(_ core: Core) throws -> [String] {
        try core.database.readBlocking { conn in
            try conn.query(
                "SELECT delivery_id, processed_at, outcome FROM webhook_deliveries ORDER BY received_at, rowid"
            ).map { row in
                "\(row.string("delivery_id") ?? ""): "
                    + (row.string("processed_at") == nil ? "unprocessed" : (row.string("outcome") ?? "(no outcome)"))
            }
        }
    }

    /// Three deliveries about one issue, stored before any is processed, are applied in arrival
    /// order (the last one wins), each with its outcome recorded; processing again applies nothing.
    @Test func storedDeliveriesAreAppliedInOrderEachOnce() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            #expect(try await Self.store(core, id: "d1", "ENG-1", title: "First", action: "create"))
            #expect(try await Self.store(core, id: "d2", "ENG-1", title: "Second"))
            #expect(try await Self.store(core, id: "d3", "ENG-1", state: "Backlog", title: "Third"))
            #expect(try await Self.store(core, id: "d4", "ENG-1", title: "Fourth"))
            // A repeated Linear-Delivery id is not stored again.
            #expect(try await Self.store(core, id: "d2", "ENG-1", state: "Done", title: "Replayed") == false)
            // Stored is not applied.
            #expect(try core.database.rows(["issues"]).isEmpty)
            #expect(
                try Self.outcomes(core) == ["d1: unprocessed", "d2: unprocessed", "d3: unprocessed", "d4: unprocessed"])

            await core.inbox.processPending()
            let issue = try await core.orchestrator.issue("ENG-1", tenant: Self.tenant)
            #expect(issue.state == .queued && issue.tracked.title == "Fourth" && issue.tracked.state == "Todo")
            #expect(
                try core.database.transitions("ENG-1")
                    == ["->released", "released>queued", "queued>released", "released>queued"])
            #expect(
                try Self.outcomes(core) == [
                    "d1: ENG-1 is queued", "d2: ENG-1 is queued", "d3: ENG-1 is released", "d4: ENG-1 is queued",
                ])

            // Nothing is pending any more: processing again (by this inbox or another) changes nothing.
            let before = try core.database.rows(Self.inboxTables)
            await core.inbox.processPending()
            await WebhookInbox(orchestrator: core.orchestrator).processPending()
            #expect(try core.database.rows(Self.inboxTables) == before)

            // A later delivery is applied after the earlier ones, alone.
            #expect(try await Self.store(core, id: "d5", "ENG-1", state: "Done", title: "Fifth"))
            await core.inbox.processPending()
            #expect(try await core.orchestrator.issue("ENG-1", tenant: Self.tenant).state == .released)
            #expect(try core.database.transitions("ENG-1").count == 5)
            #expect(try Self.outcomes(core).last == "d5: ENG-1 is released")
        }
    }

    /// One body under delivery ids A, A, B, C is stored once and applied once; an ignored type is
    /// stored already processed, with its outcome, and the inbox leaves it alone.
    @Test func aBodyIsStoredOnceWhateverItsDeliveryIds() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let payload = LinearWebhook.issuePayload(
                TrackedIssue(identifier: "ENG-7", title: "t", state: "Todo"), action: "create",
                timestampMs: Timestamp.nowMilliseconds())
            let body = payload.text
            let delivery = try LinearWebhook.parse(Array(body.utf8))
            var stored: [Bool] = []
            for id in ["A", "A", "B", "C"] {
                stored.append(try await core.inbox.store(id: id, tenant: Self.tenant, delivery: delivery, body: body))
            }
            #expect(stored == [true, false, false, false])
            let sla = #"{"type":"IssueSLA","action":"set","issueData":{"id":"x"},"webhookTimestamp":1}"#
            let ignored = try LinearWebhook.parse(Array(sla.utf8))
            #expect(try await core.inbox.store(id: "S", tenant: Self.tenant, delivery: ignored, body: sla))
            #expect(try Self.outcomes(core) == ["A: unprocessed", "S: ignored: IssueSLA"])
            await core.inbox.processPending()
            #expect(try Self.outcomes(core) == ["A: ENG-7 is queued", "S: ignored: IssueSLA"])
            #expect(try core.database.transitions("ENG-7") == ["->released", "released>queued"])
        }
    }

    /// A delivery whose body does not parse is marked with its error and does not hold back the
    /// ones around it.
    @Test func aBadDeliveryIsMarkedAndTheRestApplied() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            try await Self.store(core, id: "d1", "ENG-1", action: "create")
            let payload = LinearWebhook.issuePayload(
                TrackedIssue(identifier: "ENG-2", title: "x", state: "Todo"), action: "create", timestampMs: 0)
            let delivery = try LinearWebhook.parse(Array(payload.text.utf8))
            #expect(try await core.inbox.store(id: "bad", tenant: Self.tenant, delivery: delivery, body: "{not json"))
            try await Self.store(core, id: "d3", "ENG-3", action: "create")
            await core.inbox.processPending()
            let outcomes = try Self.outcomes(core)
            #expect(outcomes.count == 3 && outcomes[0] == "d1: ENG-1 is queued" && outcomes[2] == "d3: ENG-3 is queued")
            #expect(outcomes[1].hasPrefix("bad: error: "), "\(outcomes)")
            #expect(try await core.orchestrator.issue("ENG-3", tenant: Self.tenant).state == .queued)
            await #expect(throws: IssueError.self) {
                try await core.orchestrator.issue("ENG-2", tenant: Self.tenant)
            }
        }
    }

    /// Deliveries stored but not processed when the process died are applied by the next
    /// process's inbox, in order and exactly once; the ones processed before the crash are not
    /// applied again. Re-applying the release after the re-queue would leave the issue released.
    @Test func aDeliveryLeftByACrashIsAppliedExactlyOnce() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            try await Self.store(core, id: "d1", "ENG-44", title: "First", action: "create")
            await core.inbox.processPending()
            #expect(try Self.outcomes(core) == ["d1: ENG-44 is queued"])
            // Stored (the 200 went out) and then the process died before processing them.
            try await Self.store(core, id: "d2", "ENG-44", state: "Backlog", title: "Second")
            try await Self.store(core, id: "d3", "ENG-44", title: "Third")
            #expect(try Self.outcomes(core) == ["d1: ENG-44 is queued", "d2: unprocessed", "d3: unprocessed"])

            // The next start: a new dispatcher, orchestrator and inbox over the same file.
            let restarted = try await fixture.restart(core)
            await restarted.inbox.processPending()
            let issue = try await restarted.orchestrator.issue("ENG-44", tenant: Self.tenant)
            #expect(issue.state == .queued && issue.tracked.title == "Third")
            #expect(
                try restarted.database.transitions("ENG-44")
                    == ["->released", "released>queued", "queued>released", "released>queued"])
            #expect(
                try Self.outcomes(restarted) == [
                    "d1: ENG-44 is queued", "d2: ENG-44 is released", "d3: ENG-44 is queued",
                ])

            // The recovered issue runs like any other.
            try await restarted.orchestrator.tick(tenant: Self.tenant)
            #expect(try await restarted.orchestrator.issue("ENG-44", tenant: Self.tenant).state == .running)

            // Processing again, here and after yet another start, applies nothing twice.
            let before = try restarted.database.rows(Self.inboxTables)
            await restarted.inbox.processPending()
            let again = try await fixture.restart(restarted)
            await again.inbox.processPending()
            #expect(try again.database.rows(Self.inboxTables) == before)
            #expect(try await again.orchestrator.issue("ENG-44", tenant: Self.tenant).state == .running)
        }
    }
}

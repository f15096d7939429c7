import BatonStore
import BatonTestSupport
import Testing

@testable import BatonCore

@Suite struct EventBusTests {
    /// A migrated database in a fresh directory; the caller closes it and removes the directory.
    static func openDatabase(_ dir: TemporaryDirectory) throws -> Database {
        let db = try Database(path: dir.path + "/baton.db")
        _ = try db.migrate(BatonMigrations.all())
        return db
    }

    /// An event bus over a migrated database in a fresh directory, closed and removed afterwards.
    static func withBus(
        replayCapacity: Int = 1024, _ body: (Database, EventBus) async throws -> Void
    ) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // Opening and migrating block on fsync: keep that off the two cooperative threads.
        let db = try await offPool { try openDatabase(dir) }
        do {
            try await body(db, try await offPool { try EventBus(database: db, replayCapacity: replayCapacity) })
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }

    static func take(_ n: Int, from stream: AsyncStream<Event>) async -> [Event] {
        var out: [Event] = []
        for await event in stream {
            out.append(event)
            if out.count == n { break }
        }
        return out
    }

    @Test func publishAssignsIncreasingIdsAndPersists() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let db = try Self.openDatabase(dir)
        let bus = try EventBus(database: db)
        let a = try await bus.publish(EventDraft(type: "test.a", data: #"{"n":1}"#))
        let b = try await bus.publish(EventDraft(type: "test.b", tenant: "acme", issue: "ENG-1"))
        #expect(a.id == 1)
        #expect(b.id == 2)
        #expect(bus.lastEventID == 2)
        await db.close()

        // A new bus over the reopened database continues the sequence and replays history.
        let reopened = try Database(path: dir.path + "/baton.db")
        let again = try EventBus(database: reopened)
        #expect(again.lastEventID == 2)
        let history = await Self.take(2, from: try await again.subscribe(after: 0, filter: EventFilter()))
        #expect(history == [a, b])
        let c = try await again.publish(EventDraft(type: "test.c"))
        #expect(c.id == 3)
        await reopened.close()
    }

    @Test func liveOnlySubscriptionSkipsHistory() async throws {
        try await Self.withBus { db, bus in
            try await bus.publish(EventDraft(type: "old"))
            let stream = try await bus.subscribe(after: nil, filter: EventFilter())
            let new = try await bus.publish(EventDraft(type: "new"))
            #expect(await Self.take(1, from: stream) == [new])
        }
    }

    @Test func resumesFromTheDatabaseBeyondTheMemoryWindow() async throws {
        try await Self.withBus(replayCapacity: 3) { db, bus in
            var published: [Event] = []
            for i in 1...20 { published.append(try await bus.publish(EventDraft(type: "n.\(i)"))) }
            let stream = try await bus.subscribe(after: 4, filter: EventFilter())
            let live = try await bus.publish(EventDraft(type: "n.21"))
            let got = await Self.take(17, from: stream)
            #expect(got.map(\.id) == Array(5...21))
            #expect(got.last == live)
            #expect(Array(got.prefix(16)) == Array(published.dropFirst(4)))
        }
    }

    /// The window is let go only after an interval with no event, and replays still see every
    /// event (from the table) after it is; the next event starts it again.
    @Test func aQuietWindowIsReleasedAndReplaysStillComplete() async throws {
        try await Self.withBus { db, bus in
            var published: [Event] = []
            for i in 1...5 { published.append(try await bus.publish(EventDraft(type: "n.\(i)"))) }
            #expect(bus.releaseWindowIfQuiet() == false)  // events came since the last look
            #expect(bus.windowCount == 5)
            #expect(bus.releaseWindowIfQuiet() == true)  // a whole interval without one
            #expect(bus.windowCount == 0)
            #expect(bus.lastEventID == published.last?.id)
            let stream = try await bus.subscribe(after: 0, filter: EventFilter())
            let live = try await bus.publish(EventDraft(type: "n.6"))
            #expect(await Self.take(6, from: stream) == published + [live])
            #expect(bus.windowCount == 1)
            #expect(bus.releaseWindowIfQuiet() == false)
            #expect(bus.windowCount == 1)
        }
    }

    @Test func filtersApplyToReplayAndLiveEvents() async throws {
        try await Self.withBus { db, bus in
            try await bus.publish(EventDraft(type: "job.created", issue: "ENG-1"))
            try await bus.publish(EventDraft(type: "worker.online"))
            try await bus.publish(EventDraft(type: "job.completed", issue: "ENG-2"))
            let stream = try await bus.subscribe(after: 0, filter: EventFilter(types: ["job.*"], issue: "ENG-2"))
            try await bus.publish(EventDraft(type: "job.failed", issue: "ENG-1"))
            try await bus.publish(EventDraft(type: "job.started", issue: "ENG-2"))
            let got = await Self.take(2, from: stream)
            #expect(got.map(\.type) == ["job.completed", "job.started"])
        }
    }

    @Test func deliversInIdOrderEvenWhenCommitsArriveOutOfOrder() async throws {
        try await Self.withBus { db, bus in
            let stream = try await bus.subscribe(after: nil, filter: EventFilter())
            let first = try await db.write { try EventBus.insert(EventDraft(type: "first"), into: $0) }
            let second = try await db.write { try EventBus.insert(EventDraft(type: "second"), into: $0) }
            // The later commit is reported first: nothing may be delivered until the gap is filled.
            bus.didCommit([second])
            #expect(bus.lastEventID == 0)
            bus.didCommit([first])
            #expect(bus.lastEventID == 2)
            #expect(await Self.take(2, from: stream) == [first, second])
        }
    }

    /// `baton secrets set` while the server runs commits an event in another process: its id must
    /// not hold back the server's own later events.
    @Test func anEventCommittedElsewhereDoesNotHoldBackLaterOnes() async throws {
        try await Self.withBus { db, bus in
            let stream = try await bus.subscribe(after: nil, filter: EventFilter())
            let foreign = try await db.write { try EventBus.insert(EventDraft(type: "secret.changed"), into: $0) }
            let own = try await bus.publish(EventDraft(type: "issue.queued"))
            #expect(await Self.take(2, from: stream) == [foreign, own])
            #expect(bus.lastEventID == own.id)
        }
    }

    @Test func aSubscriberThatFallsTooFarBehindIsEnded() async throws {
        try await Self.withBus { db, bus in
            let stream = try await bus.subscribe(after: nil, filter: EventFilter(), bufferLimit: 2)
            #expect(bus.subscriberCount == 1)
            for i in 1...5 { try await bus.publish(EventDraft(type: "e\(i)")) }
            #expect(bus.subscriberCount == 0)
            // It still gets what fit in its buffer, then the stream ends so the client can resume.
            var got: [Int64] = []
            for await event in stream { got.append(event.id) }
            #expect(got == [1, 2])
        }
    }

    @Test func cancellingASubscriberUnregistersIt() async throws {
        try await Self.withBus { db, bus in
            let stream = try await bus.subscribe(after: nil, filter: EventFilter())
            let task = Task { for await _ in stream {} }
            #expect(bus.subscriberCount == 1)
            task.cancel()
            await task.value
            #expect(bus.subscriberCount == 0)
        }
    }

    /// `baton_sse_subscribers` counts clients: Baton's own followers still get every event.
    @Test func ownFollowersAreNotCountedAsClients() async throws {
        try await Self.withBus { _, bus in
            let follower = try await bus.subscribe(after: nil, filter: EventFilter(), isClient: false)
            #expect(bus.subscriberCount == 0)
            let client = try await bus.subscribe(after: nil, filter: EventFilter())
            #expect(bus.subscriberCount == 1)
            try await bus.publish(EventDraft(type: "test.one", tenant: "default", data: "{}"))
            #expect(await Self.take(1, from: follower).map(\.type) == ["test.one"])
            #expect(await Self.take(1, from: client).map(\.type) == ["test.one"])
        }
    }
}

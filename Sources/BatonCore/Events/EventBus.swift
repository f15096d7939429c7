import BatonStore
import BatonWorkerProtocol
import Synchronization

/// Publishes events durably and fans them out to live subscribers.
///
/// The database assigns ids (so they only grow, across restarts too) and an event is delivered only
/// after its row has committed. Commits can finish out of order relative to id assignment, so
/// delivery waits for gaps to fill: subscribers always see ids in increasing order with none
/// skipped, which is what makes `Last-Event-ID` resumption lossless.
public final class EventBus: Sendable {
    public let database: Database
    private let state: Mutex<State>
    private let replayCapacity: Int

    struct State {
        /// The most recent delivered events, oldest first.
        var recent: [Event] = []
        /// Id of the last event delivered to subscribers.
        var lastDelivered: Int64
        /// Committed events waiting for a smaller id to commit first.
        var waiting: [Int64: Event] = [:]
        /// A look in the database for the ids a gap is missing is scheduled.
        var gapCheck = false
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriberID = 0
        /// Events delivered since the last `releaseWindowIfQuiet()`.
        var deliveredSinceRelease = 0
    }

    struct Subscriber {
        var filter: EventFilter
        var continuation: AsyncStream<Event>.Continuation
        /// Baton's own followers (the orchestrator, the Linear write-back) are not clients.
        var isClient: Bool
    }

    /// Loads the newest `replayCapacity` events so recent history replays without a database read.
    public init(database: Database, replayCapacity: Int = 1024) throws {
        self.database = database
        self.replayCapacity = max(1, replayCapacity)
        let capacity = self.replayCapacity
        let rows = try database.readBlocking { conn in
            try conn.query(
                "SELECT id, type, tenant, issue, at, data FROM events ORDER BY id DESC LIMIT ?1",
                [.integer(Int64(capacity))])
        }
        let recent = rows.reversed().map(EventBus.event(from:))
        state = Mutex(State(recent: recent, lastDelivered: recent.last?.id ?? 0))
    }

    /// Id of the newest event delivered so far (0 when there is none).
    public var lastEventID: Int64 { state.withLock { $0.lastDelivered } }

    /// Subscribers that are clients (an SSE stream), not Baton's own followers: the
    /// `baton_sse_subscribers` gauge.
    public var subscriberCount: Int { state.withLock { $0.subscribers.values.count(where: \.isClient) } }

    /// Stores the event in its own transaction, then delivers it.
    @discardableResult
    public func publish(_ draft: EventDraft) async throws -> Event {
        let event = try await database.write { conn in try EventBus.insert(draft, into: conn) }
        didCommit([event])
        return event
    }

    /// Inserts an event inside a caller's transaction; the caller passes the result to `didCommit`
    /// once that transaction has committed (and drops it if it rolled back).
    public static func insert(_ draft: EventDraft, into conn: Connection, at time: String = Timestamp.now()) throws
        -> Event
    {
        try conn.execute(
            "INSERT INTO events (type, tenant, issue, at, data) VALUES (?1, ?2, ?3, ?4, ?5)",
            [
                .text(draft.type), draft.tenant.map(SQLValue.text) ?? .null,
                draft.issue.map(SQLValue.text) ?? .null, .text(time), .text(draft.data),
            ])
        return Event(
            id: conn.lastInsertRowID, type: draft.type, tenant: draft.tenant, issue: draft.issue, at: time,
            data: draft.data)
    }

    /// Delivers committed events, in id order, once every smaller id has been delivered.
    public func didCommit(_ events: [Event]) {
        let (ended, checkGap) = state.withLock { state in
            for event in events where event.id > state.lastDelivered {
                state.waiting[event.id] = event
            }
            var ended: [AsyncStream<Event>.Continuation] = []
            while let next = state.waiting.removeValue(forKey: state.lastDelivered + 1) {
                deliver(next, in: &state, ended: &ended)
            }
            let checkGap = !state.waiting.isEmpty && !state.gapCheck
            if checkGap { state.gapCheck = true }
            return (ended, checkGap)
        }
        // Finishing runs the stream's termination handler, which takes the lock: do it outside.
        for continuation in ended { continuation.finish() }
        if checkGap { scheduleGapCheck() }
    }

    /// An event another process committed (`baton secrets set`, or `baton webhook send` storing
    /// its signing secret, while the server runs) never reaches `didCommit` here, and the gap it
    /// leaves would hold back every later event for good. A gap that lasts `gapCheckDelay` is
    /// filled from the database, which has every committed row; an id still absent there belongs
    /// to a transaction of this process that has not committed yet, and is looked for again.
    static let gapCheckDelay = Duration.milliseconds(200)

    private func scheduleGapCheck() {
        Task { [weak self] in
            try? await Task.sleep(for: EventBus.gapCheckDelay)
            await self?.fillGap()
        }
    }

    private func fillGap() async {
        let bounds: (after: Int64, before: Int64)? = state.withLock { state in
            guard let next = state.waiting.keys.min(), next > state.lastDelivered + 1 else {
                state.gapCheck = false
                return nil
            }
            return (state.lastDelivered, next)
        }
        guard let bounds else { return }
        let rows =
            (try? await database.read { conn in
                try conn.query(
                    "SELECT id, type, tenant, issue, at, data FROM events WHERE id > ?1 AND id < ?2 ORDER BY id",
                    [.integer(bounds.after), .integer(bounds.before)])
            }) ?? []
        state.withLock { $0.gapCheck = false }
        // Delivers what is now contiguous, and schedules another look if a gap remains.
        didCommit(rows.map(EventBus.event(from:)))
    }

    private func deliver(_ event: Event, in state: inout State, ended: inout [AsyncStream<Event>.Continuation]) {
        state.lastDelivered = event.id
        state.deliveredSinceRelease += 1
        state.recent.append(event)
        if state.recent.count > replayCapacity * 2 {
            state.recent.removeFirst(state.recent.count - replayCapacity)
        }
        var overflowed: [Int] = []
        for (id, subscriber) in state.subscribers where subscriber.filter.matches(event) {
            if case .dropped = subscriber.continuation.yield(event) { overflowed.append(id) }
        }
        // A subscriber too slow to keep up is ended rather than silently skipping events; it can
        // reconnect with Last-Event-ID and replay what it missed.
        for id in overflowed {
            if let subscriber = state.subscribers.removeValue(forKey: id) { ended.append(subscriber.continuation) }
        }
    }

    /// Events after `lastID` (all history when nil is not wanted: nil means live events only),
    /// then live events, in id order without gaps. The stream ends if the subscriber falls more
    /// than `bufferLimit` events behind.
    public func subscribe(after lastID: Int64?, filter: EventFilter, bufferLimit: Int = 1024, isClient: Bool = true)
        async throws
        -> AsyncStream<Event>
    {
        var history: [Event] = []
        var cursor = lastID ?? Int64.max
        while true {
            // Take the registration if the in-memory window reaches back to `cursor`; otherwise read
            // the missing stretch from the database and try again (the window may have moved on).
            let outcome: AsyncStream<Event>? = state.withLock { state in
                let oldest = state.recent.first?.id ?? (state.lastDelivered + 1)
                guard cursor >= state.lastDelivered || cursor + 1 >= oldest else { return nil }
                let replay = state.recent.filter { $0.id > cursor && filter.matches($0) }
                let (stream, continuation) = AsyncStream<Event>.makeStream(
                    bufferingPolicy: .bufferingOldest(bufferLimit + history.count + replay.count))
                for event in history + replay { continuation.yield(event) }
                let id = state.nextSubscriberID
                state.nextSubscriberID += 1
                state.subscribers[id] = Subscriber(filter: filter, continuation: continuation, isClient: isClient)
                continuation.onTermination = { [weak self] _ in
                    self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
                }
                return stream
            }
            if let outcome { return outcome }
            // Only ids already delivered are read: larger ones may be committed but still waiting
            // for a gap to fill, and will arrive live.
            let from = cursor
            let upTo = state.withLock { $0.lastDelivered }
            let rows = try await database.read { conn in
                try conn.query(
                    "SELECT id, type, tenant, issue, at, data FROM events WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT 1000",
                    [.integer(from), .integer(upTo)])
            }
            let events = rows.map(EventBus.event(from:))
            history += events.filter(filter.matches)
            cursor = events.last?.id ?? upTo
        }
    }

    /// Empties the in-memory window when no event was delivered since the last call; true when
    /// it did. `baton serve` calls it before each heap trim (`server.memory_trim_s`, SPEC §12.2):
    /// the window's events, made during the last burst of load, are scattered over pages that
    /// a trim cannot give back while they live. Replays then read the table, as they do for ids
    /// older than the window; the window fills again with the next events.
    @discardableResult
    public func releaseWindowIfQuiet() -> Bool {
        let released = state.withLock { state -> [Event] in
            defer { state.deliveredSinceRelease = 0 }
            guard state.deliveredSinceRelease == 0, !state.recent.isEmpty else { return [] }
            return state.recent.dropAll()
        }
        return !released.isEmpty  // freed here, outside the lock
    }

    /// Events the in-memory window holds (for tests).
    var windowCount: Int { state.withLock { $0.recent.count } }

    static func event(from row: Row) -> Event {
        Event(
            id: Int64(row.int("id") ?? 0), type: row.string("type") ?? "", tenant: row.string("tenant"),
            issue: row.string("issue"), at: row.string("at") ?? "", data: row.string("data") ?? "{}")
    }
}

extension Array {
    /// The elements, leaving the array empty with no storage.
    fileprivate mutating func dropAll() -> [Element] {
        defer { self = [] }
        return self
    }
}

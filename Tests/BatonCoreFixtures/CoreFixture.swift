import BatonCore
import BatonIssues
import BatonJSON
import BatonJobs
import BatonStore
import BatonTestSupport
import Synchronization

/// The dispatcher's clock in core tests: starts at the real time and moves only when told.
public final class TestClock: Sendable {
    private let ms = Atomic<Int64>(Timestamp.nowMilliseconds())
    public init() {}
    public var now: Int64 { ms.load(ordering: .relaxed) }
    public func advance(ms delta: Int64) { ms.add(delta, ordering: .relaxed) }
    public var dispatchClock: DispatchClock { DispatchClock { [self] in self.now } }
}

/// One running core over a migrated SQLite file: what `baton serve` builds, without HTTP.
public struct Core: Sendable {
    public let database: Database
    public let events: EventBus
    public let dispatcher: Dispatcher
    public let orchestrator: Orchestrator
    public let inbox: WebhookInbox
}

/// A fresh directory and a manual clock shared by every core opened over it; `open` again after
/// closing the previous core's database is a restart. Every database opened is closed, and the
/// directory removed, by `withFixture`.
public final class CoreFixture: Sendable {
    public let directory = TemporaryDirectory(prefix: "baton-core-test")
    public let clock = TestClock()
    private let opened = Mutex<[Database]>([])

    public var path: String { directory.path + "/baton.db" }

    /// Opens (and migrates, the first time) the database and builds a dispatcher, an orchestrator
    /// and an inbox over it, all on the manual clock.
    public func open(
        dispatch: DispatchSettings = DispatchSettings(), orchestrator: OrchestratorSettings = OrchestratorSettings()
    ) async throws -> Core {
        let path = self.path
        let clock = self.clock
        // Opening, migrating and loading block on the file: keep them off the cooperative threads.
        let (database, events, dispatcher) = try await offPool { () -> (Database, EventBus, Dispatcher) in
            let database = try Database(path: path)
            _ = try database.migrate(BatonMigrations.all())
            let events = try EventBus(database: database)
            let dispatcher = try Dispatcher(
                database: database, events: events, settings: dispatch, clock: clock.dispatchClock)
            return (database, events, dispatcher)
        }
        opened.withLock { $0.append(database) }
        let orchestrator = Orchestrator(dispatcher: dispatcher, settings: orchestrator)
        return Core(
            database: database, events: events, dispatcher: dispatcher, orchestrator: orchestrator,
            inbox: WebhookInbox(orchestrator: orchestrator))
    }

    /// Closes `core`'s database (as a process exit would) and opens a new core over the same file.
    public func restart(_ core: Core) async throws -> Core {
        let dispatch = core.dispatcher.settings
        let orchestrator = core.orchestrator.settings
        await core.database.close()
        return try await open(dispatch: dispatch, orchestrator: orchestrator)
    }

    public func tearDown() async {
        for database in opened.withLock({ $0 }) { await database.close() }
        directory.remove()
    }

    public static func with(_ body: (CoreFixture) async throws -> Void) async throws {
        let fixture = CoreFixture()
        do {
            try await body(fixture)
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}

extension Database {
    /// A database over `baton.db` in `directory`, with every migration applied.
    public static func migrated(in directory: TemporaryDirectory) throws -> Database {
        let database = try Database(path: directory.path + "/baton.db")
        _ = try database.migrate(BatonMigrations.all())
        return database
    }

    /// Every row of `tables` as text, oldest first: to show a refused call changed nothing.
    public func rows(_ tables: [String]) throws -> [String] {
        try readBlocking { conn in
            var out: [String] = []
            for table in tables {
                for row in try conn.query("SELECT * FROM \(table) ORDER BY rowid") {
                    out.append(table + ":" + row.columns.map { "\($0)=\(row[$0])" }.joined(separator: ","))
                }
            }
            return out
        }
    }

    /// The event types written so far, oldest first.
    public func eventTypes() throws -> [String] {
        try readBlocking { conn in
            try conn.query("SELECT type FROM events ORDER BY id").compactMap { $0.string("type") }
        }
    }

    /// An issue's transitions as `from>to`, oldest first (`-` when it first arrived).
    public func transitions(_ issue: String, tenant: String = "default") throws -> [String] {
        try readBlocking { conn in
            try conn.query(
                "SELECT from_state, to_state FROM issue_transitions WHERE tenant = ?1 AND issue = ?2 ORDER BY id",
                [.text(tenant), .text(issue)]
            ).map { "\($0.string("from_state") ?? "-")>\($0.string("to_state") ?? "")" }
        }
    }

    public func attempts(_ issue: String, tenant: String = "default") throws -> [AttemptRecord] {
        try readBlocking { conn in try AttemptRecord.list(issue: issue, tenant: tenant, from: conn) }
    }
}

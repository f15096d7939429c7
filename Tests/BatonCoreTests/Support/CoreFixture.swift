import BatonJSON
import BatonStore
import BatonTestSupport
import Synchronization

@testable import BatonCore

/// The dispatcher's clock in core tests: starts at the real time and moves only when told.
final class TestClock: Sendable {
    private let ms = Atomic<Int64>(Timestamp.nowMilliseconds())
    var now: Int64 { ms.load(ordering: .relaxed) }
    func advance(ms delta: Int64) { ms.add(delta, ordering: .relaxed) }
    var dispatchClock: DispatchClock { DispatchClock { [self] in self.now } }
}

/// One running core over a migrated SQLite file: what `baton serve` builds, without HTTP.
struct Core: Sendable {
    let database: Database
    let events: EventBus
    let dispatcher: Dispatcher
    let orchestrator: Orchestrator
    let inbox: WebhookInbox
}

/// A fresh directory and a manual clock shared by every core opened over it; `open` again after
/// closing the previous core's database is a restart. Every database opened is closed, and the
/// directory removed, by `withFixture`.
final class CoreFixture: Sendable {
    let directory = TemporaryDirectory(prefix: "baton-core-test")
    let clock = TestClock()
    private let opened = Mutex<[Database]>([])

    var path: String { directory.path + "/baton.db" }

    /// Opens (and migrates, the first time) the database and builds a dispatcher, an orchestrator
    /// and an inbox over it, all on the manual clock.
    func open(
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
    func restart(_ core: Core) async throws -> Core {
        let dispatch = core.dispatcher.settings
        let orchestrator = core.orchestrator.settings
        await core.database.close()
        return try await open(dispatch: dispatch, orchestrator: orchestrator)
    }

    func tearDown() async {
        for database in opened.withLock({ $0 }) { await database.close() }
        directory.remove()
    }

    static func with(_ body: (CoreFixture) async throws -> Void) async throws {
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
    /// Every row of `tables` as text, oldest first: to show a refused call changed nothing.
    func rows(_ tables: [String]) throws -> [String] {
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
    func eventTypes() throws -> [String] {
        try readBlocking { conn in try conn.query("SELECT type FROM events ORDER BY id").compactMap { $0.string(0) } }
    }

    /// An issue's transitions as `from>to`, oldest first (`-` when it first arrived).
    func transitions(_ issue: String, tenant: String = "default") throws -> [String] {
        try readBlocking { conn in
            try conn.query(
                "SELECT from_state, to_state FROM issue_transitions WHERE tenant = ?1 AND issue = ?2 ORDER BY id",
                [.text(tenant), .text(issue)]
            ).map { "\($0.string(0) ?? "-")>\($0.string(1) ?? "")" }
        }
    }

    func attempts(_ issue: String, tenant: String = "default") throws -> [AttemptRecord] {
        try readBlocking { conn in try AttemptRecord.list(issue: issue, tenant: tenant, from: conn) }
    }
}

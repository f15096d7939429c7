import BatonCore
import BatonCrypto
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonJobs
import BatonStore
import BatonTestSupport
import Foundation
import Synchronization

@testable import BatonAPI

#if canImport(Glibc)
    import Glibc
#endif

/// A coordinator over a real, migrated SQLite file in a fresh directory, with its router, and on
/// request a real server on a free loopback port.
final class TestCoordinator: Sendable {
    let directory: String
    let database: Database
    let events: EventBus
    let keys: KeyStore
    let vault: SecretVault
    let config: ConfigStore
    /// An admin key of tenant `default`, sent by `request` unless told otherwise.
    let adminKey: String
    let metrics: MetricsRegistry
    let dispatcher: Dispatcher
    let orchestrator: Orchestrator
    let webhooks: WebhookInbox
    let refusedAudit: AuditCoalescer
    let clock: ManualClock
    let router: Router
    let logLines = LogLines()

    /// `keyChangeCheckInterval`: how often the key store looks for keys changed elsewhere (§5.6).
    init(
        sseHeartbeat: Duration = .seconds(15), publicMetrics: Bool = false,
        rateLimiter: RateLimiter = RateLimiter(limits: RateLimiter.Limits(perMinute: [:])), configFile: JSONValue = [:],
        keyChangeCheckInterval: Duration = .seconds(1)
    ) throws {
        var template = Array("/tmp/baton-api-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        directory = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        database = try Database(path: directory + "/baton.db")
        _ = try database.migrate(BatonMigrations.all())
        events = try EventBus(database: database)
        keys = try KeyStore(
            database: database, hashingKey: SecureRandom.bytes(32), changeCheckInterval: keyChangeCheckInterval)
        adminKey = try keys.bootstrapAdminIfEmpty()!.text
        vault = try SecretVault.open(dataDir: directory, database: database, events: events)
        var file = configFile.objectValue ?? [:]
        if publicMetrics { file["server", default: [:]] = ["public_metrics": true] }
        config = try ConfigStore(file: .object(file), overlayPath: directory + "/overlay.json")
        metrics = MetricsRegistry()
        let clock = ManualClock()
        self.clock = clock
        dispatcher = try Dispatcher(
            database: database, events: events, settings: DispatchSettings(config: config.effective),
            metrics: metrics, clock: DispatchClock { clock.now })
        dispatcher.follow(config)
        let lines = logLines
        let orchestrator = Orchestrator(
            dispatcher: dispatcher, settings: OrchestratorSettings(config: config.effective), metrics: metrics)
        orchestrator.follow(config)
        self.orchestrator = orchestrator
        let services = CoordinatorServices(
            database: database, events: events, keys: keys, audit: AuditLog(database: database, events: events),
            vault: vault, metrics: metrics,
            node: NodeIdentity(name: "test-node", os: "linux"), dispatcher: dispatcher, config: config,
            dataDir: directory,
            rateLimiter: rateLimiter, accessLog: true,
            sseHeartbeat: sseHeartbeat, orchestrator: orchestrator, log: { lines.append($0) })
        webhooks = services.webhooks
        refusedAudit = services.refusedAudit
        router = CoordinatorRoutes.makeRouter(services)
    }

    /// Builds a coordinator on its own thread: opening, migrating and key files block (fsync), and
    /// dozens of tests doing that on the two cooperative threads would starve timing-sensitive ones.
    static func make(
        sseHeartbeat: Duration = .seconds(15), publicMetrics: Bool = false,
        rateLimiter: RateLimiter = RateLimiter(limits: RateLimiter.Limits(perMinute: [:])), configFile: JSONValue = [:],
        keyChangeCheckInterval: Duration = .seconds(1)
    ) async throws -> TestCoordinator {
        try await offPool {
            try TestCoordinator(
                sseHeartbeat: sseHeartbeat, publicMetrics: publicMetrics, rateLimiter: rateLimiter,
                configFile: configFile, keyChangeCheckInterval: keyChangeCheckInterval)
        }
    }

    /// Sends a request through the router with `key` (the admin key unless given), or with no
    /// Authorization header at all when `anonymous`.
    func request(
        _ method: HTTPMethod, _ target: String, headers: HTTPHeaders = [:], body: String = "",
        key: String? = nil, anonymous: Bool = false
    ) async -> HTTPResponse {
        var headers = headers
        if !anonymous, !headers.contains("Authorization") { headers.add("Authorization", "Bearer \(key ?? adminKey)") }
        return await router.respond(
            to: HTTPRequest(method: method, target: target, headers: headers, body: Array(body.utf8)))
    }

    /// A new key with `role` in `tenant`.
    func makeKey(_ role: Role, tenant: String = "default", name: String = "test") throws -> String {
        try keys.createBlocking(name: name, role: role, tenant: tenant).token.text
    }

    /// Starts a real server for this coordinator on 127.0.0.1 and a free port.
    func startServer() throws -> (server: HTTPServer, port: Int) {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, responder: router)
        let bound = try server.start()
        return (server, bound.port)
    }

    func eventCount() throws -> Int {
        try database.readBlocking { conn in try conn.queryOne("SELECT count(*) AS n FROM events")?.int("n") ?? -1 }
    }

    /// Every api_keys row as text, to show a refused request changed nothing.
    func keyRows() throws -> [String] {
        try database.readBlocking { conn in
            try conn.query("SELECT * FROM api_keys ORDER BY id").map { row in
                row.columns.map { "\($0)=\(row[$0])" }.joined(separator: ",")
            }
        }
    }

    /// The actions of every audit entry, oldest first.
    func auditActions() throws -> [String] {
        try database.readBlocking { conn in
            try conn.query("SELECT action FROM audit ORDER BY id").compactMap { $0.string("action") }
        }
    }

    /// Closes the database and removes the directory on a thread of their own: `close()` waits for
    /// the writer and a checkpoint, and a test's `defer` must not hold a cooperative thread for that.
    func close() {
        let database = self.database
        let directory = self.directory
        detachThread {
            database.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

/// The dispatcher's clock in tests: starts at the real time and moves only when told.
final class ManualClock: Sendable {
    private let ms = Atomic<Int64>(Timestamp.nowMilliseconds())
    var now: Int64 { ms.load(ordering: .relaxed) }
    func advance(seconds: Double) { ms.add(Int64(seconds * 1000), ordering: .relaxed) }
}

final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

extension HTTPResponse {
    var bodyText: String {
        if case .bytes(let bytes) = body { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }
}

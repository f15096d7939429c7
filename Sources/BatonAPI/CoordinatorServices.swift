import BatonCore
import BatonIssues
import BatonJobs
import BatonStore

/// Everything the coordinator's HTTP handlers need, built once by `baton serve` (or a test).
public struct CoordinatorServices: Sendable {
    public var database: Database
    public var events: EventBus
    public var keys: KeyStore
    /// Dashboard sessions standing for keys (SPEC §2.12).
    public var sessions: SessionStore
    public var audit: AuditLog
    /// Anonymous and refused requests' audit entries, one per source per
    /// `audit.refused_interval_s` (read once here); `baton serve` stops it before closing the database.
    public var refusedAudit: AuditCoalescer
    public var vault: SecretVault
    public var rateLimiter: RateLimiter
    public var config: ConfigStore
    /// The tenant that runs the instance (`server.system_tenant`, read once here): only its admin
    /// keys change configuration, `$secret:` references in configuration resolve in it, and only
    /// its keys see instance events, metrics and configuration unredacted.
    public let systemTenant: String
    public var dataDir: String
    public var metrics: MetricsRegistry
    public var node: NodeIdentity
    public var dispatcher: Dispatcher
    /// Issues and attempts (its loop is started by `baton serve`).
    public var orchestrator: Orchestrator
    /// Linear deliveries, stored before they are answered.
    public var webhooks: WebhookInbox
    /// Whether to write one line per request to `log`.
    public var accessLog: Bool
    /// How often an idle event stream gets a comment line, so proxies and clients see it is alive.
    public var sseHeartbeat: Duration
    /// Events an SSE client may fall behind before its stream ends (`server.sse_buffer`).
    public var sseBufferLimit: Int
    public var log: @Sendable (String) -> Void

    /// Whether `principal` belongs to the tenant that runs the instance.
    public func isSystem(_ principal: Principal) -> Bool { principal.tenant == systemTenant }

    var credentials: Credentials { Credentials(keys: keys, sessions: sessions) }

    public init(
        database: Database, events: EventBus, keys: KeyStore, audit: AuditLog, vault: SecretVault,
        metrics: MetricsRegistry,
        node: NodeIdentity, dispatcher: Dispatcher,
        config: ConfigStore, dataDir: String, rateLimiter: RateLimiter = RateLimiter(),
        accessLog: Bool = true, sseHeartbeat: Duration = .seconds(15), orchestrator: Orchestrator? = nil,
        log: @escaping @Sendable (String) -> Void
    ) {
        let orchestrator =
            orchestrator
            ?? Orchestrator(
                dispatcher: dispatcher, settings: OrchestratorSettings(config: config.effective), metrics: metrics)
        self.orchestrator = orchestrator
        self.webhooks = WebhookInbox(orchestrator: orchestrator, log: log)
        self.database = database
        self.events = events
        self.keys = keys
        self.sessions = SessionStore(database: database, keys: keys)
        self.audit = audit
        self.refusedAudit = AuditCoalescer(
            audit: audit, interval: Double(config.reader.int("audit.refused_interval_s")), log: log)
        self.vault = vault
        self.config = config
        self.systemTenant = config.reader.string("server.system_tenant")
        self.dataDir = dataDir
        self.rateLimiter = rateLimiter
        self.metrics = metrics
        self.node = node
        self.dispatcher = dispatcher
        self.accessLog = accessLog
        self.sseHeartbeat = sseHeartbeat
        self.sseBufferLimit = Int(config.reader.int("server.sse_buffer"))
        self.log = log
    }
}

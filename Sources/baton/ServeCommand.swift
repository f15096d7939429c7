import BatonAPI
import BatonCore
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonJobs
import BatonLinear
import BatonPlatform
import BatonRetention
import BatonStore

#if canImport(Glibc)
    import Glibc
#endif

enum ServeCommand: BatonCommand {
    static let name = "serve"
    static let summary = "Run the coordinator: the HTTP API and the orchestrator."
    static let help = """
        Usage: baton serve [--config FILE] [--host HOST] [--port PORT] [--data-dir DIR] [--local-workers N]
                           [--no-access-log]

        Starts the Baton coordinator: opens (and migrates) the database in the data directory and
        serves the HTTP API until SIGTERM or SIGINT, then stops accepting, finishes requests in
        flight, closes event streams and checkpoints the database. A second signal exits at once.

        Options:
          --config FILE      JSON configuration file (default: ./baton.json when it exists). Layers:
                             defaults < file < BATON_SECTION__KEY environment < runtime overlay.
          --host HOST        Address to listen on (default: server.host, 127.0.0.1).
          --port PORT        TCP port, 0 for any free port; the bound address is printed (default: server.port, 4000).
          --data-dir DIR     Where Baton keeps its database (default: .baton). Created if missing.
          --local-workers N  Workers to run inside this process (default: local_workers.count, 1); 0 for
                             none. They take jobs over loopback like any worker, as local-1, local-2, …
                             with worker keys saved in the data directory, and run the dry-run provider
                             plus every providers.<name> of kind command, codex, claude-code, openai,
                             ollama or anthropic (keys from the secrets vault), in workspaces beside
                             the data directory (<data-dir>-workspaces), sandboxed by sandbox.mode.
          --no-access-log    Do not write a line per request to stderr.
          --help             Show this help.

        On first start with no API keys, an admin key is created, printed once and saved to
        <data-dir>/admin.key (mode 0600). Every endpoint except /health and /api/v1/openapi.json needs
        `Authorization: Bearer <key>`.

        Endpoints: GET /health, GET /metrics, GET /api/v1/events (SSE), GET /api/v1/openapi.json,
        /api/v1/keys (admin), /api/v1/audit, /api/v1/secrets, /api/v1/config; jobs: /api/jobs,
        /dispatch, /api/workers, /presence, /tenant/killswitch, /api/cost/summary and /breakdown.
        Workers use a key with the worker role named after their instance (baton keys create
        --role worker --name gpu-1). The full list with schemas is in /api/v1/openapi.json.

        With BATON_PROFILE_WRITER=1 in the environment, the database writer times every statement
        it runs, and on SIGTERM or SIGINT its busy share and costliest statements are written to
        stderr (a diagnostic: two clock reads a statement).
        """
    static let options = CommandLineOptions.Spec(
        valued: ["host", "port", "data-dir", "config", "local-workers"], flags: ["no-access-log"])

    static func run(_ options: CommandLineOptions) async throws {
        // Before anything starts: a stop asked for while starting is a graceful stop, not a kill.
        ShutdownSignal.install()
        guard options.positionals.isEmpty else {
            throw UsageError("serve takes no arguments, got '\(options.positionals[0])'")
        }
        let port = try options.integer("port", in: 0...65535)
        let localWorkerCount = try options.integer("local-workers", in: 0...64)
        let (file, environment) = try ConfigLoading.layers(path: options.value("config"))
        let startLayers = ConfigReader(ConfigSchema.defaults.merged(with: file).merged(with: environment))
        // Before the database and the server start their threads, each of which may take an arena.
        Allocator.limitArenas(Int(startLayers.int("server.malloc_arenas")))
        let dataDir = options.value("data-dir") ?? startLayers.string("storage.data_dir")

        // Before anything is written: agents must not be able to reach the data directory (the
        // overlay's own sandbox settings are checked again below, once it is read).
        if (localWorkerCount ?? 1) > 0 {
            let layers = ConfigSchema.defaults.merged(with: file).merged(with: environment)
            _ = try WorkerSetup.checkSandbox(
                WorkerSetup.sandbox(layers), protected: [("the data directory", dataDir)], quiet: true)
        }
        let profileWriter = getenv("BATON_PROFILE_WRITER").map { String(cString: $0) }.map { !["", "0"].contains($0) }
        let database = try DataDirectory.openDatabase(at: dataDir, profileWriter: profileWriter ?? false)
        do {
            _ = try await database.migrate(BatonMigrations.all())
        } catch {
            await database.close()
            throw RuntimeError("migration failed: \(error)")
        }
        // A file made before Baton asked for incremental vacuum is converted once, so pruned
        // pages can be given back (SPEC §1.4); a new file already is.
        do {
            if try await !database.hasIncrementalVacuum() {
                Log.write("database: converting \(dataDir)/baton.db to incremental vacuum (once; rewrites the file)")
                _ = try await database.enableIncrementalVacuum()
            }
        } catch {
            await database.close()
            throw RuntimeError("database: cannot enable incremental vacuum: \(error)")
        }
        let config: ConfigStore
        do {
            try DataDirectory.create(dataDir)
            config = try ConfigStore(file: file, environment: environment, overlayPath: dataDir + "/overlay.json")
        } catch {
            await database.close()
            throw RuntimeError("configuration: \(error)")
        }
        // The tenant that runs the instance; read once, here.
        let systemTenant = config.reader.string("server.system_tenant")
        guard KeyStore.isValidTenant(systemTenant) else {
            await database.close()
            throw RuntimeError("configuration: server.system_tenant must match [A-Za-z0-9._-]{1,64}")
        }
        var configuration = HTTPServerConfiguration()
        let settings = config.reader
        configuration.host = options.value("host") ?? settings.string("server.host")
        configuration.port = port ?? Int(settings.int("server.port"))
        configuration.maxBodyBytes = Int(settings.int("server.max_body_bytes"))
        configuration.maxHeaderBytes = Int(settings.int("server.max_header_bytes"))
        configuration.headerTimeout = .seconds(settings.int("server.header_timeout_s"))
        configuration.idleTimeout = .seconds(settings.int("server.idle_timeout_s"))
        configuration.bodyTimeout = .seconds(settings.int("server.body_timeout_s"))
        configuration.maxConnectionsPerSource = Int(settings.int("server.max_connections_per_source"))
        configuration.eventLoopCount = Int(settings.int("server.event_loops"))
        let events = try EventBus(database: database, replayCapacity: Int(settings.int("server.event_window")))
        let keys: KeyStore
        do {
            keys = try DataDirectory.openKeyStore(dataDir, database: database)
            if let token = try keys.bootstrapAdminIfEmpty(tenant: systemTenant) {
                try KeyFile.write(dataDir + "/admin.key", Array((token.text + "\n").utf8))
                print("baton: created the first admin key (also saved to \(dataDir)/admin.key, mode 0600):")
                print("  \(token.text)")
                print("baton: it is shown only this once; `baton keys create` makes more.")
            }
        } catch {
            await database.close()
            throw RuntimeError("API keys: \(error)")
        }
        let vault: SecretVault
        do {
            vault = try SecretVault.open(dataDir: dataDir, database: database, events: events)
        } catch {
            await database.close()
            throw RuntimeError("secrets: \(error)")
        }
        let metrics = MetricsRegistry()
        let dispatcher: Dispatcher
        do {
            dispatcher = try Dispatcher(
                database: database, events: events, settings: DispatchSettings(config: config.effective),
                metrics: metrics)
        } catch {
            await database.close()
            throw RuntimeError("jobs: \(error)")
        }
        dispatcher.follow(config)
        let services = CoordinatorServices(
            database: database, events: events, keys: keys, audit: AuditLog(database: database, events: events),
            vault: vault, metrics: metrics, node: NodeIdentity.current(), dispatcher: dispatcher, config: config,
            dataDir: dataDir,
            rateLimiter: RateLimiter(limits: rateLimits(config)),
            accessLog: !options.has("no-access-log"), log: Log.write)
        let router = CoordinatorRoutes.makeRouter(services)
        let server = HTTPServer(configuration: configuration, responder: router, log: Log.write)
        try? metrics.callbackGauge(name: "baton_http_connections", help: "Open HTTP connections.") {
            Double(server.activeConnections)
        }
        try? metrics.callbackGauge(
            name: "baton_http_loop_connections", help: "Open HTTP connections on each event loop.", labelName: "loop"
        ) { server.connectionsPerLoop.enumerated().map { (label: String($0.offset), value: Double($0.element)) } }
        try? metrics.callbackCounter(
            name: "baton_http_body_timeouts_total", help: "Requests answered 408 because their body came too slowly."
        ) { Double(server.statistics.bodyTimeouts) }
        try? metrics.callbackCounter(
            name: "baton_http_capacity_refusals_total",
            help: "Connections refused with 503 because the server held its maximum of open connections."
        ) { Double(server.statistics.capacityRefusals) }
        try? metrics.callbackCounter(
            name: "baton_http_source_refusals_total",
            help: "Connections refused with 503 because their address held server.max_connections_per_source."
        ) { Double(server.statistics.sourceRefusals) }
        // Writes per commit show how well the writer batches under load.
        try? metrics.callbackCounter(name: "baton_db_commits_total", help: "Write transactions committed.") {
            Double(database.statistics.commits)
        }
        try? metrics.callbackCounter(name: "baton_db_writes_total", help: "Write closures run by the writer.") {
            Double(database.statistics.writes)
        }
        try? metrics.callbackGauge(name: "baton_db_queued_writes", help: "Writes waiting for the writer.") {
            Double(database.statistics.queuedWrites)
        }
        // The local workers' agents must not reach the data directory or other workspaces:
        // checked before anything listens.
        if (localWorkerCount ?? Int(config.reader.int("local_workers.count"))) > 0 {
            let root = WorkerSetup.settings(
                name: "local-1", tags: [], capacity: 1, config: config.effective, dataDir: dataDir
            ).workspaces.root
            do {
                _ = try WorkerSetup.checkSandbox(
                    WorkerSetup.sandbox(config.effective),
                    protected: [("the data directory", dataDir), ("the workspace root", root)], quiet: true)
            } catch {
                await database.close()
                throw error
            }
        }
        let bound: (host: String, port: Int)
        do {
            bound = try server.start()
        } catch {
            await database.close()
            throw RuntimeError("cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        print("baton: listening on http://\(bound.host):\(bound.port) (data in \(dataDir))")
        fflush(nil)
        try await events.publish(
            EventDraft(
                type: "service.started",
                data: "{\"version\":" + JSONText.quote(BatonVersion.current) + ",\"address\":"
                    + JSONText.quote("\(bound.host):\(bound.port)") + "}"))

        // last_used_at is remembered in memory and written in batches, never once per request.
        let flusher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(30))
                try? await keys.flushLastUsed(unlessWithinMs: 60_000)
            }
        }

        // Freed heap pages go back to the system, so memory falls after a load peak; a quiet event
        // window is let go first (SPEC §12.2).
        let trimmer = AllocatorTrimmer(intervalMs: Int(config.reader.int("server.memory_trim_s")) * 1000) {
            events.releaseWindowIfQuiet()
        }

        // Expired leases and silent workers are noticed here; dispatch itself is driven by events.
        let sweeper = Task { await dispatcher.runSweeper(log: Log.write) }

        // Old events, finished jobs, processed deliveries and old ledger entries (SPEC §1.4).
        let retention = RetentionSweeper(
            dispatcher: dispatcher, settings: RetentionSettings(config: config.effective), metrics: metrics)
        retention.follow(config)
        let pruning = Task { await retention.run(log: Log.write) }

        // Issues: the orchestrator ticks on its timers and whenever something happens; stored
        // webhook deliveries (those a crash left unprocessed first) are processed in order.
        let orchestrator = services.orchestrator
        orchestrator.follow(config)
        let effective = config.effective
        var tracker: LinearTracker?
        var writeBack: Task<Void, Never>?
        if effective.value(at: ["tracker", "kind"])?.stringValue == "linear" {
            let reference = ConfigReader(effective).string("tracker.api_key")
            let client = LinearClient(
                endpoint: ConfigReader(effective).string("tracker.endpoint"),
                metrics: metrics, apiKey: { try await vault.resolve(reference, tenant: systemTenant) })
            let linear = LinearTracker(client: client, filter: LinearTracker.Filter(config: effective), log: Log.write)
            tracker = linear
            if ConfigReader(effective).bool("tracker.write_back") {
                let writer = LinearWriteBack(
                    tracker: linear, orchestrator: orchestrator, settings: LinearWriteBack.Settings(config: effective),
                    log: Log.write)
                writeBack = Task { await writer.run(events: events) }
            }
            Log.write("tracker: polling Linear every \(orchestrator.settings.pollIntervalMs / 1000) s")
        }
        // Linear agent mode (SPEC §9.15): sessions' activities go out with the app's token. It
        // starts with serve when configured, or the moment an overlay turns it on.
        let agentMode = AgentMode(
            orchestrator: orchestrator, events: events, vault: vault, systemTenant: systemTenant, metrics: metrics)
        agentMode.startIfEnabled(effective)
        config.onChange { agentMode.startIfEnabled($0) }
        let orchestration = Task { [tracker] in
            await orchestrator.run(tracker: tracker, trackerTenant: systemTenant, log: Log.write)
        }
        let deliveries = Task { await services.webhooks.run() }

        let local: LocalWorkers
        do {
            let count = localWorkerCount ?? Int(config.reader.int("local_workers.count"))
            local = try await LocalWorkers.start(
                count: count, url: loopbackURL(host: bound.host, port: bound.port), dataDir: dataDir, keys: keys,
                vault: vault, config: config.effective, tenant: systemTenant)
            if !local.loops.isEmpty {
                let names = local.loops.map(\.settings.name).joined(separator: ", ")
                let sandbox = try WorkerSetup.checkSandbox(local.loops[0].settings.sandbox)
                print(
                    "baton: local workers \(names) (providers: \(local.loops[0].runners.providers.joined(separator: ", ")); sandbox: \(sandbox))"
                )
                fflush(nil)
            }
        } catch {
            await server.shutdown()
            await database.close()
            throw RuntimeError("local workers: \(error)")
        }

        let sig = await ShutdownSignal.wait()
        Log.write("received signal \(sig), shutting down")
        if let profile = database.writerProfile { Log.write(profile.report()) }
        _ = try? await events.publish(EventDraft(type: "service.stopping", data: "{\"signal\":\(sig)}"))
        // Workers first: they stop leasing and report what they were running while the API is up.
        await local.stop()
        await server.shutdown()
        flusher.cancel()
        trimmer.stop()
        sweeper.cancel()
        pruning.cancel()
        writeBack?.cancel()
        deliveries.cancel()
        orchestration.cancel()
        _ = await (orchestration.value, deliveries.value, pruning.value)
        // The activity sender records what it sent before the database closes (SPEC §9.15); a
        // send Linear does not answer holds the shutdown up 5 s at most.
        if let sending = agentMode.stop() {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await sending.value }
                group.addTask { try? await Task.sleep(for: .seconds(5)) }
                await group.next()
                group.cancelAll()
            }
        }
        // Requests counted into coalesced audit entries are written before the database closes.
        await services.refusedAudit.stop()
        try? await keys.flushLastUsed()
        await database.close()
        Log.write("stopped")
    }

    /// Where the local workers reach this server: the bound address, or loopback when it listens
    /// on every interface.
    static func loopbackURL(host: String, port: Int) -> String {
        switch host {
        case "0.0.0.0", "": "http://127.0.0.1:\(port)"
        case "::": "http://[::1]:\(port)"
        default: host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
        }
    }

    /// Token bucket sizes from `server.rate_limits`.
    static func rateLimits(_ config: ConfigStore) -> RateLimiter.Limits {
        var perMinute: [String: Int] = [:]
        let reader = config.reader
        for routeClass in ["read", "write", "webhook", "anonymous"] {
            perMinute[routeClass] = Int(reader.int("server.rate_limits.\(routeClass)"))
        }
        // webhooks.linear.rate_limit_per_min is the webhook limit's own key (SPEC §2.7): when it is
        // set away from its default it wins; else server.rate_limits.webhook (the same default).
        let linear = reader.int("webhooks.linear.rate_limit_per_min")
        if linear != ConfigReader([:]).int("webhooks.linear.rate_limit_per_min") {
            perMinute["webhook"] = Int(linear)
        }
        return RateLimiter.Limits(perMinute: perMinute)
    }
}

import BatonAPI
import BatonAgent
import BatonCore
import BatonFit
import BatonHTTP
import BatonJSON
import BatonJobs
import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

enum NodeCommand: BatonCommand {
    static let name = "node"
    static let summary = "Run a worker node that takes jobs from a coordinator."
    static let help = """
        Usage: baton node [--host HOST] [--port PORT] [--coordinator URL --token KEY] [--name NAME]
                          [--tags a,b] [--provider a,b] [--capacity N] [--config FILE] [--workspaces DIR]

        Serves the node API on HOST:PORT (default 127.0.0.1:8787): GET /health, /api/v1/system and
        /api/v1/models, /models/top, /models/:name — this machine's hardware and the built-in catalog
        ranked for it, for schedulers. With --coordinator it is also a worker: it reports presence to the coordinator every 5 s, long-polls for jobs, runs up
        to --capacity of them at once in per-issue workspaces, reports their progress and results,
        and retries with backoff while the coordinator is unreachable (a finished result is kept
        until it is delivered). SIGTERM or SIGINT stops leasing, lets running jobs finish and be
        reported, then exits.

        Options:
          --host HOST        Address of the node API (default 127.0.0.1).
          --port PORT        Port of the node API, 0 for any free port (default 8787).
          --coordinator URL  The coordinator, e.g. http://10.0.0.5:4000 (or BATON_COORDINATOR); without
                             it the node only serves its API.
          --token KEY        A worker key named after this node: baton keys create --role worker
                             --name NAME on the coordinator (or BATON_WORKER_TOKEN).
          --name NAME        The worker's instance name (default: the host name). Must match the key.
          --tags a,b         Tags the router matches jobs against (default: none).
          --provider a,b     Providers to serve, of those this node can run (default: all of them:
                             dry-run and every providers.<name> of kind command, codex, claude-code,
                             openai, ollama or anthropic in the config).
          --capacity N       Jobs at once, 1 to 64 (default 1).
          --config FILE      JSON configuration for providers, workspaces and hooks (default:
                             ./baton.json when it exists), layered like baton serve's.
          --workspaces DIR   Workspace root (default: workspaces.root, .baton-workspaces).
          --help             Show this help.

        A provider's api_key "$secret:NAME" is read from the environment variable BATON_SECRET_NAME
        on a node (the coordinator's vault stays on the coordinator).
        """
    static let options = CommandLineOptions.Spec(
        valued: [
            "host", "port", "coordinator", "token", "name", "tags", "provider", "capacity", "config", "workspaces",
        ], flags: [])

    static func run(_ options: CommandLineOptions) async throws {
        // Before anything starts: a stop asked for while starting is a graceful stop, not a kill.
        ShutdownSignal.install()
        guard options.positionals.isEmpty else {
            throw UsageError("node takes no arguments, got '\(options.positionals[0])'")
        }
        func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        let port = try options.integer("port", in: 0...65535) ?? 8787
        let host = options.value("host") ?? "127.0.0.1"
        let coordinator = options.value("coordinator") ?? environment("BATON_COORDINATOR")
        if let coordinator, !(coordinator.hasPrefix("http://") || coordinator.hasPrefix("https://")) {
            throw UsageError("--coordinator must be an http:// or https:// URL, not '\(coordinator)'")
        }
        let token = options.value("token") ?? environment("BATON_WORKER_TOKEN")
        if coordinator != nil && (token ?? "").isEmpty {
            throw UsageError("--token KEY is required with --coordinator (or set BATON_WORKER_TOKEN)")
        }
        let name = options.value("name") ?? NodeIdentity.current().name
        guard JobSpec.isName(name) else {
            throw UsageError("--name must be letters, digits, '.', '_' or '-', not '\(name)'")
        }
        let capacity = try options.integer("capacity", in: 1...64) ?? 1
        let (file, environmentLayer) = try ConfigLoading.layers(path: options.value("config"))
        let config = ConfigSchema.defaults.merged(with: file).merged(with: environmentLayer)
        var settings = WorkerSetup.settings(
            name: name, tags: WorkerSetup.tags(options.value("tags") ?? ""), capacity: capacity, config: config)
        if let root = options.value("workspaces") { settings.workspaces = Workspaces(root: root) }
        let sandbox = try WorkerSetup.checkSandbox(
            settings.sandbox, protected: [("the workspace root", settings.workspaces.root)])
        var runners = WorkerSetup.runners(config: config, secret: { WorkerSetup.environmentSecret($0) })
        if let wanted = options.value("provider") {
            let names = WorkerSetup.tags(wanted)
            guard !names.isEmpty else { throw UsageError("--provider needs at least one provider name") }
            let unknown = names.filter { runners.runner(for: $0) == nil }
            guard unknown.isEmpty else {
                throw UsageError(
                    "this node cannot run provider \(unknown[0]); it can run \(runners.providers.joined(separator: ", "))"
                )
            }
            runners = runners.restricted(to: names)
        }
        // The node API: the machine detected now, refreshed every 5 s off the event loop.
        let snapshot = NodeRoutes.SystemSnapshot(SystemDetection.detect())
        OSThread.detach(name: "baton-detect") {
            while true {
                usleep(5_000_000)
                snapshot.update(SystemDetection.detect())
            }
        }
        var configuration = HTTPServerConfiguration()
        configuration.host = host
        configuration.port = port
        let server = HTTPServer(
            configuration: configuration,
            responder: NodeRoutes.makeRouter(
                node: NodeIdentity(name: name, os: "linux"), system: snapshot, log: Log.write),
            log: Log.write)
        let bound: (host: String, port: Int)
        do {
            bound = try server.start()
        } catch {
            throw RuntimeError("cannot listen on \(host):\(port): \(error)")
        }
        print("baton: node API listening on http://\(bound.host):\(bound.port)")
        fflush(nil)
        var loop: WorkerLoop?
        var running: Task<Void, Never>?
        if let coordinator, let token {
            settings.nodeURL = ServeCommand.loopbackURL(host: bound.host, port: bound.port)
            settings.topModels = { topModels(on: snapshot.value) }
            let worker = WorkerLoop(
                client: CoordinatorClient(baseURL: coordinator, token: token), settings: settings, runners: runners,
                log: Log.write)
            print(
                "baton: node \(name) working for \(coordinator) (capacity \(capacity), providers \(runners.providers.joined(separator: ", ")), workspaces in \(settings.workspaces.root), sandbox: \(sandbox))"
            )
            fflush(nil)
            loop = worker
            running = Task { await worker.run() }
        }
        let sig = await ShutdownSignal.wait()
        Log.write("received signal \(sig): no more leases; finishing \(loop?.activeCount ?? 0) running job(s)")
        loop?.stop()
        await running?.value
        await server.shutdown()
        Log.write("stopped")
    }

    /// The heartbeat's `top_models`: the node API's `/api/v1/models/top` ranking, 20 deep.
    static func topModels(on system: SystemSpecs, catalog: [CatalogModel] = Catalog.models) -> [TopModel] {
        var query = ModelQuery.top
        query.limit = 20
        return query.run(on: system, catalog: catalog).models.map {
            TopModel(name: $0.model.name, fit: $0.fitLevel.rawValue, score: $0.score)
        }
    }
}

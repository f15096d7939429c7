import BatonAgent
import BatonCore
import BatonHTTP
import BatonJSON
import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// The workers `baton serve` runs in its own process (`local_workers.count`, default 1), so one
/// machine works out of the box. They speak the same protocol as remote workers, over loopback,
/// each with a worker key named after it (`local-1`, …) kept in the data directory.
struct LocalWorkers {
    let loops: [WorkerLoop]
    private let tasks: [Task<Void, Never>]

    static func start(
        count: Int, url: String, dataDir: String, keys: KeyStore, vault: SecretVault, config: JSONValue,
        tenant: String = "default"
    ) async throws -> LocalWorkers {
        guard count > 0 else { return LocalWorkers(loops: [], tasks: []) }
        // Plain HTTP over loopback: the workers talk to this very server, and libcurl (with its TLS
        // stack, several MiB) is opened only if a job calls out to an HTTP provider.
        let reader = ConfigReader(config)
        let tags = WorkerSetup.tags(reader.string("local_workers.tags"))
        let capacity = Int(reader.int("local_workers.capacity"))
        // One client, one I/O thread, for every worker and slot. Its pool holds as many connections
        // as can be in flight at once (each slot's long poll or a running job's report and
        // completion, and each worker's heartbeat), so under load every request reuses one and
        // none is closed and reopened (a closed one waits in TIME-WAIT for a minute); at most half
        // of what one address may hold open, so idle ones never crowd out the requests (SPEC §7.1).
        let perSource = Int(reader.int("server.max_connections_per_source"))
        let http = PlainHTTPClient(maxIdleConnections: min(count * (2 * capacity + 1), max(1, perSource / 2)))
        var loops: [WorkerLoop] = []
        for index in 1...count {
            let name = "local-\(index)"
            let token = try await key(for: name, dataDir: dataDir, keys: keys, tenant: tenant)
            loops.append(
                WorkerLoop(
                    client: CoordinatorClient(baseURL: url, token: token, http: http),
                    settings: WorkerSetup.settings(
                        name: name, tags: tags, capacity: capacity, config: config, dataDir: dataDir),
                    runners: WorkerSetup.runners(
                        config: config, secret: { try await vault.resolve($0, tenant: tenant) }),
                    log: Log.write))
        }
        let tasks = loops.map { loop in Task { await loop.run() } }
        return LocalWorkers(loops: loops, tasks: tasks)
    }

    /// Stops leasing, lets running jobs finish and be reported, and waits for the loops to end.
    func stop() async {
        for loop in loops { loop.stop() }
        for task in tasks { await task.value }
    }

    /// The worker key of a local worker: the one saved in the data directory while it is still
    /// valid, else a new one (saved with mode 0600).
    static func key(for name: String, dataDir: String, keys: KeyStore, tenant: String) async throws -> String {
        let path = "\(dataDir)/\(name).worker.key"
        if let bytes = try? KeyFile.read(path) {
            let saved = String(decoding: bytes, as: UTF8.self).trimmingSpaces.split(separator: "\n").first.map(
                String.init)
            if let saved, let principal = await keys.authenticate(saved), principal.role == .worker,
                principal.name == name, principal.tenant == tenant
            {
                return saved
            }
        }
        let (_, token) = try await keys.create(name: name, role: .worker, tenant: tenant)
        try KeyFile.write(path, Array((token.text + "\n").utf8))
        return token.text
    }
}

import BatonHTTP
import BatonJSON
import BatonTestSupport
import BatonWorkerProtocol
import Synchronization
import Testing

@testable import BatonAgent

#if canImport(Glibc)
    import Glibc
#endif

/// A `remove_workspace` command names its workspace; the worker validates that name (and where it
/// resolves) before the before_remove hook runs. Before, the hook ran first, in whatever
/// `root + "/" + name` resolved to (`../x` is a sibling of the root), and only the removal refused.
@Suite struct WorkspaceRemovalTests {
    @Test func aBadNameRunsNoHook() async throws {
        let top = temporaryDirectory()
        defer { Workspaces.removeTree(top) }
        let root = top + "/root"
        // The hook is sandboxed like an agent: its marker goes where sandbox.write_paths allows.
        let markers = top + "/markers"
        mkdir(markers, 0o700)
        let marker = markers + "/hook-ran"
        // Every name below resolves to an existing directory, so only validation stops the hook.
        for dir in [root, root + "/good", root + "/inside", top + "/x", top + "/elsewhere"] {
            #expect(mkdir(dir, 0o755) == 0)
        }
        #expect(symlink(top + "/elsewhere", root + "/link") == 0)
        let worker = WorkerLoop(
            client: CoordinatorClient(baseURL: "http://127.0.0.1:1", token: "unused"),
            settings: Self.settings(root: root, marker: marker, writable: markers))
        for bad in ["../x", "/inside", top + "/x", "..", "link", "good/../../x"] {
            await worker.removeWorkspace(bad)
            #expect(access(marker, F_OK) != 0, "before_remove ran for \(bad.debugDescription)")
        }
        #expect(access(top + "/x", F_OK) == 0 && access(root + "/inside", F_OK) == 0)
        #expect(access(top + "/elsewhere", F_OK) == 0)
        // The control: a good name runs the hook (in the workspace) and removes it.
        await worker.removeWorkspace("good")
        #expect(try ChildProcess.run("/bin/cat", [marker]).stdout.hasSuffix("/root/good\n"))
        #expect(access(root + "/good", F_OK) != 0)
    }

    /// The command as a heartbeat answer carries it takes the same path.
    @Test func aRemoveWorkspaceCommandWithABadNameRunsNoHook() async throws {
        let top = temporaryDirectory()
        defer { Workspaces.removeTree(top) }
        let root = top + "/root"
        // The hook is sandboxed like an agent: its marker goes where sandbox.write_paths allows.
        let markers = top + "/markers"
        mkdir(markers, 0o700)
        let marker = markers + "/hook-ran"
        for dir in [root, top + "/x"] { #expect(mkdir(dir, 0o755) == 0) }
        let refusals = Mutex<[String]>([])
        let worker = WorkerLoop(
            client: CoordinatorClient(baseURL: "http://127.0.0.1:1", token: "unused"),
            settings: Self.settings(root: root, marker: marker, writable: markers),
            log: { line in if line.contains("not removing workspace") { refusals.withLock { $0.append(line) } } })
        worker.handle(.removeWorkspace("../x"))
        worker.handle(.removeWorkspace(top + "/x"))
        // Each command ran to its refusal (the commands run in tasks of their own).
        #expect(await eventually { refusals.withLock { $0.count } == 2 }, "\(refusals.withLock { $0 })")
        #expect(access(marker, F_OK) != 0)
        #expect(access(top + "/x", F_OK) == 0)
    }

    /// Removals that come while a removal's heartbeat is on its way share the next one (each
    /// carries the whole inventory), and the last one the coordinator gets lists none of them.
    @Test func removalsShareTheirHeartbeats() async throws {
        let root = temporaryDirectory()
        defer { Workspaces.removeTree(root) }
        let names = (0..<40).map { "w\($0)" }
        for name in names { #expect(mkdir(root + "/" + name, 0o755) == 0) }
        // A coordinator slow to answer a heartbeat, as a busy one is: it holds the first until every
        // removal has taken its directory away, so all of them come while a heartbeat is on its way
        // however a busy pool spreads the forty tasks out (100 ms of delay assumed they overlap).
        let heartbeats = Mutex<[Int]>([])
        let b = RouterBuilder()
        b.put("/presence") { request, _ in
            let listed = (try? JSONParser.parse(request.body))?["workspaces"]?.arrayValue?.count ?? -1
            _ = await eventually(timeout: .seconds(90)) { names.allSatisfy { access(root + "/" + $0, F_OK) != 0 } }
            heartbeats.withLock { $0.append(listed) }
            let answer = PresenceAnswer(worker: [:], heartbeatIntervalS: 3600, staleAfterS: 7200, commands: [])
            return .json(.ok, answer.json.text)
        }
        let (server, client) = try Self.coordinator(b)
        let worker = WorkerLoop(
            client: client,
            settings: WorkerSettings(name: "w", capacity: 1, workspaces: Workspaces(root: root)))
        await withTaskGroup(of: Void.self) { group in
            for name in names { group.addTask { await worker.removeWorkspace(name) } }
        }
        for name in names { #expect(access(root + "/" + name, F_OK) != 0) }
        #expect(await eventually { heartbeats.withLock { $0.last } == 0 }, "\(heartbeats.withLock { $0 })")
        // One per removal would be 40.
        #expect(heartbeats.withLock { $0.count } <= 5, "\(heartbeats.withLock { $0 })")
        await server.shutdown()
    }

    /// Once the attempt has ended, its workspace is free: a removal that comes while the result
    /// is on its way is followed. The coordinator counts the job finished as soon as it has the
    /// result, and may ask for the removal before the worker has heard back; before, the worker
    /// still counted the workspace busy until then and dropped the command for good.
    @Test func aRemovalWhileTheResultIsOnItsWayIsFollowed() async throws {
        let root = temporaryDirectory()
        defer { Workspaces.removeTree(root) }
        // A coordinator that holds the result's request until the test lets it go.
        let completing = Mutex(false)
        let release = Mutex(false)
        let b = RouterBuilder()
        b.post("/api/jobs/:id/events") { _, _ in .json(.ok, #"{"ok":true}"#) }
        b.post("/api/jobs/:id/complete") { _, _ in
            completing.withLock { $0 = true }
            while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            return .json(.ok, #"{"ok":true}"#)
        }
        b.put("/presence") { _, _ in
            let answer = PresenceAnswer(worker: [:], heartbeatIntervalS: 3600, staleAfterS: 7200, commands: [])
            return .json(.ok, answer.json.text)
        }
        let (server, client) = try Self.coordinator(b)
        let refusals = Mutex<[String]>([])
        let worker = WorkerLoop(
            client: client,
            settings: WorkerSettings(name: "w", capacity: 1, workspaces: Workspaces(root: root)),
            log: { line in if line.contains("not removing") { refusals.withLock { $0.append(line) } } })
        let leased = LeaseAnswer(
            job: LeasedJob(id: 7, prompt: "p", provider: "dry-run", issue: "ENG-1"),
            lease: LeaseGrant(token: "7.x", expiresAt: "2999-01-01T00:00:00.000Z"))
        let running = Task { await worker.run(leased) }
        // A long bound: in a full run other suites can hold the cooperative pool for many
        // seconds (the worker's tasks run on it); the wait ends as soon as the request comes.
        #expect(await eventually(timeout: .seconds(90)) { completing.withLock { $0 } })
        #expect(access(root + "/ENG-1", F_OK) == 0)
        await worker.removeWorkspace("ENG-1")
        #expect(access(root + "/ENG-1", F_OK) != 0, "\(refusals.withLock { $0 })")
        #expect(refusals.withLock { $0 }.isEmpty)
        release.withLock { $0 = true }
        await running.value
        await server.shutdown()
    }

    /// A loopback server answering as `routes` say, and a worker's client of it.
    static func coordinator(_ routes: RouterBuilder) throws -> (HTTPServer, CoordinatorClient) {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, responder: routes.build())
        let bound = try server.start()
        return (
            server, CoordinatorClient(baseURL: "http://127.0.0.1:\(bound.port)", token: "t", http: PlainHTTPClient())
        )
    }

    static func settings(root: String, marker: String, writable: String) -> WorkerSettings {
        var settings = WorkerSettings(
            name: "w", capacity: 1, workspaces: Workspaces(root: root),
            hooks: Hooks(scripts: [.beforeRemove: "pwd >> '\(marker)'"]))
        settings.sandbox.writePaths = [writable]
        return settings
    }
}

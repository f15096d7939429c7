import BatonAgent
import BatonCore
import BatonHTTP
import BatonJSON
import BatonPlatform
import BatonTestSupport
import Testing

@testable import BatonAPI

#if canImport(Glibc)
    import Glibc
#endif

/// What an agent can reach, end to end through a real coordinator and worker: a `command` agent
/// and a `before_run` hook doing what a prompt-injected agent would — reading the coordinator's
/// keys, its database, another issue's workspace and the coordinator's environment, writing
/// outside their workspace. Each probe runs with the sandbox and without it, so the test shows
/// the sandbox is what stops them.
@Suite(.serialized) struct ContainmentTests {
    /// Each probe prints `name:status` and what it read (a file's first bytes).
    static func probe(dataDir: String, other: String, parent: pid_t) -> String {
        let reads = [
            ("master", dataDir + "/master.key"), ("admin", dataDir + "/admin.key"),
            ("keyhash", dataDir + "/keyhash.key"), ("db", dataDir + "/baton.db"), ("other", other + "/notes.txt"),
            ("environ", "/proc/\(parent)/environ"),
        ]
        var lines = reads.map { name, path in
            "v=$(head -c 200 '\(path)' 2>&1 | tr '\\0' ' '); echo \"\(name):$? $v\""
        }
        lines.append("echo pwned > '\(dataDir)/pwned' 2>/dev/null; echo \"write-data:$?\"")
        lines.append("echo mine > own.txt; echo \"write-own:$?\"")
        lines.append("echo \"token-length:${#AGENT_TOKEN}\"")
        // An agent that prints its key: Baton takes it out of everything it keeps.
        lines.append("echo \"token:$AGENT_TOKEN\"")
        lines.append("env | grep -c BATON_MASTER_KEY || true")
        return lines.joined(separator: "\n")
    }

    struct Run {
        var result: String
        var hook: String
        var job: JSONValue
        var everything: String
    }

    /// One job of the probe with the sandbox `mode`; returns its result, the hook's output and
    /// every text the coordinator keeps or shows (events, audit, logs, the job, the database).
    static func run(mode: SandboxSettings.Mode) async throws -> (Run, secrets: [String]) {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        // A data directory as `baton serve` keeps it.
        let masterKey = RealAgents.read(c.directory + "/master.key") ?? ""
        let adminKey = c.adminKey
        RealAgents.writeFile(c.directory + "/admin.key", adminKey + "\n")
        RealAgents.writeFile(c.directory + "/keyhash.key", "hash-key-material-0123456789\n")
        let vaultSecret = "agent-token-" + String(getpid()) + "-value"
        try await c.vault.set(tenant: "default", name: "agent_token", value: vaultSecret)
        let root = WorkerLoopLiveTests.workspaceRoot()
        defer { _ = try? ChildProcess.run("/bin/rm", ["-rf", root]) }
        mkdir(root + "/OTHER-1", 0o700)
        RealAgents.writeFile(root + "/OTHER-1/notes.txt", "another issue's notes\n")
        let script = probe(dataDir: c.directory, other: root + "/OTHER-1", parent: getpid())
        let (server, port) = try c.startServer()
        var settings = WorkerSettings(
            name: "w1", capacity: 1, workspaces: Workspaces(root: root),
            hooks: Hooks(scripts: [.beforeRun: "{ \(script)\n} > hook.txt 2>&1"]))
        settings.heartbeatSeconds = 0.5
        settings.leaseWaitSeconds = 2
        settings.eventIntervalMs = 50
        settings.sandbox = SandboxSettings(mode: mode)
        let vault = c.vault
        let worker = WorkerLoop(
            client: CoordinatorClient(baseURL: "http://127.0.0.1:\(port)", token: try c.makeKey(.worker, name: "w1")),
            settings: settings,
            runners: RunnerCatalog(
                providers: [
                    "probe": [
                        "kind": "command", "command": .string(script),
                        "env": ["AGENT_TOKEN": "$secret:agent_token"],
                    ]
                ], secret: { try await vault.resolve($0, tenant: "default") }
            ).restricted(to: ["probe"]),
            log: { c.logLines.append($0) })
        let running = Task { await worker.run() }
        let id = try #require(
            await c.createJob(#"{"prompt":"look around","provider":"probe","issue":"ENG-9"}"#)["id"]?.intValue)
        #expect(await eventually { await c.job(id)["finished_at"] != .null })
        worker.stop()
        await running.value
        await server.shutdown()
        let job = await c.job(id)
        let hook = RealAgents.read(root + "/ENG-9/hook.txt") ?? ""
        var everything = job.text + "\n" + hook + "\n" + c.logLines.all.joined(separator: "\n")
        everything += try c.database.readBlocking { conn in
            var out = ""
            for table in ["events", "audit", "jobs", "cost_ledger"] {
                for row in try conn.query("SELECT * FROM \(table)") {
                    out += row.columns.map { "\(row[$0])" }.joined(separator: " ") + "\n"
                }
            }
            return out
        }
        for file in ["baton.db", "baton.db-wal", "overlay.json"] {
            everything += RealAgents.read(c.directory + "/" + file) ?? ""
        }
        let trimmedMaster = masterKey.split(separator: "\n").first.map(String.init) ?? masterKey
        return (
            Run(result: job["result"]?.stringValue ?? "", hook: hook, job: job, everything: everything),
            [trimmedMaster, adminKey, "hash-key-material", vaultSecret]
        )
    }

    @Test func agentsAndHooksReachOnlyTheirWorkspace() async throws {
        #expect(Sandbox.isAvailable, "this test needs Landlock")
        let (run, secrets) = try await Self.run(mode: .required)
        #expect(run.job["status"] == "completed", "\(run.job.text)")
        for output in [run.result, run.hook] {
            for name in ["master", "admin", "keyhash", "db", "other", "environ"] {
                #expect(
                    output.split(separator: "\n").first { $0.hasPrefix("\(name):") }?.contains("Permission denied")
                        == true,
                    "\(name) was readable: \(output)")
            }
            #expect(output.contains("write-data:") && !output.contains("write-data:0"), "\(output)")
            #expect(output.contains("write-own:0"), "\(output)")
        }
        // The agent got its key (from the vault, through the provider's env) …
        #expect(run.result.contains("token-length:\(secrets[3].count)"), "\(run.result)")
        #expect(run.result.contains("token:[REDACTED]"), "\(run.result)")
        // … and no secret byte is anywhere the coordinator keeps or shows.
        for secret in secrets where !secret.isEmpty {
            #expect(!run.everything.contains(secret), "a secret (\(secret.prefix(6))…) leaked")
        }
        #expect(run.job["report"]?["sandbox"]?.stringValue?.hasPrefix("landlock") == true, "\(run.job.text)")
    }

    /// The same probe without the sandbox reads every one of them: the sandbox is what stops it.
    @Test func withTheSandboxOffTheSameProbeReadsThem() async throws {
        let (run, secrets) = try await Self.run(mode: .off)
        #expect(run.job["status"] == "completed", "\(run.job.text)")
        #expect(run.result.contains("master:0 ") && run.result.contains(secrets[0]), "\(run.result)")
        #expect(run.result.contains("admin:0 ") && run.result.contains(secrets[1]))
        #expect(run.result.contains("other:0 another issue's notes"))
        let environ = run.result.split(separator: "\n").first { $0.hasPrefix("environ:") } ?? ""
        #expect(environ.hasPrefix("environ:0 ") && environ.contains("="), "\(environ)")
        #expect(run.result.contains("write-data:0"))
        #expect(run.job["report"]?["sandbox"] == "off")
    }
}

import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// Jobs run by real workers: the one `baton serve` embeds, and a `baton node` in a second process.
@Suite struct NodeCommandTests {
    struct API {
        let port: Int
        let key: String
        let client = HTTPClient()

        func call(_ method: HTTPMethod, _ path: String, _ body: String = "") async throws -> (Int, JSONValue) {
            let response = try await client.execute(
                HTTPClientRequest(
                    method: method, url: "http://127.0.0.1:\(port)\(path)",
                    headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"],
                    body: Array(body.utf8)))
            return (response.status, (try? JSONParser.parse(response.body)) ?? .null)
        }

        /// Polls `GET /api/jobs/:id` until the job has finished (or 20 s pass).
        func finished(_ id: Int64) async throws -> JSONValue {
            for _ in 0..<400 {
                let (_, job) = try await call(.get, "/api/jobs/\(id)")
                if let status = job["status"]?.stringValue, ["completed", "failed", "cancelled"].contains(status) {
                    return job
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return try await call(.get, "/api/jobs/\(id)").1
        }
    }

    static func adminKey(_ dir: String) throws -> String {
        try String(contentsOfFile: dir + "/admin.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `make run` alone: a job posted to /dispatch with the default provider is taken by the
    /// embedded worker and completed, with its events.
    @Test func theEmbeddedWorkerCompletesADispatchedJob() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = API(port: port, key: try Self.adminKey(dir))
        // The local worker registers itself on start.
        var online = false
        for _ in 0..<200 where !online {
            let (_, presence) = try await api.call(.get, "/presence")
            online = presence["workers"]?.arrayValue?.contains { $0["instance"] == "local-1" } ?? false
            if !online { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(online, "local-1 never reported presence: \(baton.errors)")
        let (status, dispatched) = try await api.call(.post, "/dispatch", #"{"prompt":"Say hello to the team"}"#)
        #expect(status == 200, "dispatch: \(dispatched.text)")
        #expect(dispatched["provider"] == "dry-run" && dispatched["worker"] == "local-1")
        let id = try #require(dispatched["id"]?.intValue)
        let job = try await api.finished(id)
        #expect(job["status"] == "completed", "job: \(job.text)")
        #expect(job["result"]?.stringValue?.hasPrefix("Dry run:") == true)
        #expect(job["progress"]?["turn"] == 1)
        let prompt = try String(contentsOfFile: dir + "-workspaces/job-\(id)/PROMPT.md", encoding: .utf8)
        #expect(prompt == "Say hello to the team\n")
        // Its whole life is in the event log.
        let types = try eventTypes(dir: dir, job: id)
        #expect(types == ["job.created", "job.assigned", "job.started", "job.progress", "job.completed"])
        #expect(await baton.stop() == 0)
        // The key it made for its worker is kept for the next start.
        #expect(FileManager.default.fileExists(atPath: dir + "/local-1.worker.key"))
    }

    /// A second machine's worker: `baton node` in its own process with a worker key.
    @Test func aNodeProcessTakesJobsAndStopsCleanly() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        let workspaces = dir + "-workspaces"
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: workspaces)
        }
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir, "--local-workers", "0"])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let created = try await BatonBinary.run([
            "keys", "create", "--role", "worker", "--name", "node-1", "--data-dir", dir,
        ])
        #expect(created.status == 0, "keys create: \(created.stderr)")
        let token = try #require(
            created.stdout.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("bt_") }.map(String.init))
        let node = try RunningBaton([
            "node", "--port", "0", "--coordinator", "http://127.0.0.1:\(port)", "--token", token, "--name", "node-1",
            "--tags", "gpu,code", "--workspaces", workspaces,
        ])
        let api = API(port: port, key: try Self.adminKey(dir))
        var online = false
        for _ in 0..<200 where !online {
            let (_, worker) = try await api.call(.get, "/api/workers/node-1")
            online = worker["online"] == true
            if !online { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(online, "node-1 never came online: \(node.errors)")
        // Its heartbeat carries the node API's top ranking, for the router's model-fit component.
        let (_, registered) = try await api.call(.get, "/api/workers/node-1")
        let nodeURL = try #require(registered["node_url"]?.stringValue)
        let client = HTTPClient()
        defer { client.shutdown() }
        let top = try JSONParser.parse(
            try await client.execute(HTTPClientRequest(url: nodeURL + "/api/v1/models/top?limit=20")).body)
        let ranking = try #require(top["models"]?.arrayValue)
        #expect(!ranking.isEmpty)
        #expect(registered["top_models"]?.arrayValue?.map { $0["name"] } == ranking.map { $0["name"] })
        #expect(registered["top_models"]?.arrayValue?.map { $0["fit"] } == ranking.map { $0["fit_level"] })
        let (status, dispatched) = try await api.call(
            .post, "/dispatch", #"{"prompt":"Fix ENG-9","provider":"dry-run","tags":["gpu"],"issue":"ENG-9"}"#)
        #expect(status == 200, "dispatch: \(dispatched.text)")
        #expect(dispatched["worker"] == "node-1")
        let job = try await api.finished(try #require(dispatched["id"]?.intValue))
        #expect(job["status"] == "completed", "job: \(job.text) node: \(node.errors)")
        #expect(FileManager.default.fileExists(atPath: workspaces + "/ENG-9/PROMPT.md"))
        #expect(await node.stop() == 0, "node: \(node.errors)")
        #expect(node.errors.contains("stopped"))
        // Its last heartbeat said it went away.
        let (_, worker) = try await api.call(.get, "/api/workers/node-1")
        #expect(worker["online"] == false)
        // It told the coordinator where its node API answers.
        #expect(worker["node_url"]?.stringValue?.hasPrefix("http://127.0.0.1:") == true)
        #expect(await baton.stop() == 0)
    }

    /// An HTTP provider configured with a `$secret:` API key: the embedded worker decrypts it from
    /// the vault at the moment of the request, and it is in no answer, log line or event.
    @Test func theEmbeddedWorkerUsesTheVaultForProviderKeys() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let secret = "sk-vault-secret-value-1234567890"
        let set = try await BatonBinary.run(["secrets", "set", "llm_key", "--data-dir", dir], input: secret)
        #expect(set.status == 0, "secrets set: \(set.stderr)")
        let fake = FakeProvider([
            .json(
                .ok,
                #"{"choices":[{"index":0,"message":{"role":"assistant","content":"From the fake LLM."}}],"usage":{"prompt_tokens":7,"completion_tokens":3}}"#
            )
        ])
        let base = try fake.start()
        let config = dir + "-config.json"
        defer { try? FileManager.default.removeItem(atPath: config) }
        try
            #"{"providers":{"llm":{"kind":"openai","base_url":"\#(base)/v1","api_key":"$secret:llm_key","models":["small"]}}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir, "--config", config])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = API(port: port, key: try Self.adminKey(dir))
        var dispatched: JSONValue = .null
        for _ in 0..<200 {
            let (status, body) = try await api.call(.post, "/dispatch", #"{"prompt":"Hello","provider":"llm"}"#)
            dispatched = body
            if status == 200 { break }
            try await Task.sleep(for: .milliseconds(50))  // local-1 has not registered yet
        }
        let id = try #require(dispatched["id"]?.intValue, "dispatch: \(dispatched.text)")
        let job = try await api.finished(id)
        #expect(job["status"] == "completed", "job: \(job.text)")
        #expect(job["result"] == "From the fake LLM.")
        #expect(fake.requests.first?.headers["Authorization"] == "Bearer \(secret)")
        #expect(!job.text.contains(secret))
        #expect(await baton.stop() == 0)
        #expect(!baton.output.contains(secret) && !baton.errors.contains(secret))
        let events = try sqliteQuery(dir + "/baton.db", "SELECT data FROM events")
        #expect(!events.contains(secret))
        await fake.stop()
    }

    /// Without --coordinator, `baton node` serves the node API alone, as a scheduler polls it.
    @Test func theNodeAPIAnswersASchedulersPoll() async throws {
        let node = try RunningBaton(["node", "--port", "0", "--name", "worker-1"])
        let port = try #require(await node.waitForPort(), "node did not start: \(node.errors)")
        let client = HTTPClient()
        defer { client.shutdown() }
        func get(_ path: String) async throws -> (Int, JSONValue) {
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"))
            return (response.status, (try? JSONParser.parse(response.body)) ?? .null)
        }
        let (healthStatus, health) = try await get("/health")
        #expect(healthStatus == 200 && health["status"] == "ok" && health["node"]?["name"] == "worker-1")
        let (_, system) = try await get("/api/v1/system")
        #expect((system["system"]?["total_ram_gb"]?.doubleValue ?? 0) > 0 && system["node"]?["os"] == "linux")
        let (topStatus, top) = try await get("/api/v1/models/top?limit=3&min_fit=good")
        #expect(topStatus == 200)
        #expect(top["returned_models"] == 3 && top["filters"]?["top_only"] == true)
        let models = try #require(top["models"]?.arrayValue)
        #expect(models.allSatisfy { ["perfect", "good"].contains($0["fit_level"]?.stringValue ?? "") })
        let (_, byName) = try await get("/api/v1/models/Qwen?limit=2")
        #expect(byName["filters"]?["search"] == "Qwen")
        #expect(
            byName["models"]?.arrayValue?.allSatisfy { $0["name"]?.stringValue?.lowercased().contains("qwen") == true }
                == true)
        let (badStatus, bad) = try await get("/api/v1/models?min_fit=great")
        #expect(badStatus == 400 && bad["error"] == "invalid min_fit value: use perfect|good|marginal|too_tight")
        let (missingStatus, missing) = try await get("/api/v1/nope")
        #expect(missingStatus == 404 && missing["error"]?.stringValue != nil)
        #expect(await node.stop() == 0)
    }

    @Test func nodeRefusesToStartWithoutItsCoordinatorOrKey() async throws {
        let noKey = try await BatonBinary.run(["node", "--coordinator", "http://127.0.0.1:9"])
        #expect(noKey.status == 2 && noKey.stderr.contains("--token"))
        let badURL = try await BatonBinary.run(["node", "--coordinator", "ftp://x", "--token", "k"])
        #expect(badURL.status == 2)
        let badProvider = try await BatonBinary.run([
            "node", "--coordinator", "http://127.0.0.1:9", "--token", "k", "--provider", "codex",
        ])
        #expect(badProvider.status == 2 && badProvider.stderr.contains("cannot run provider codex"))
    }

    /// The job.* events of one job, oldest first, read from the database file.
    func eventTypes(dir: String, job id: Int64) throws -> [String] {
        let out = try sqliteQuery(
            dir + "/baton.db",
            "SELECT type FROM events WHERE type LIKE 'job.%' AND json_extract(data, '$.id') = \(id) ORDER BY id")
        return out.split(separator: "\n").map(String.init)
    }

    func eventTypes(dir: String, issue: String) throws -> [String] {
        let out = try sqliteQuery(dir + "/baton.db", "SELECT type FROM events WHERE issue = '\(issue)' ORDER BY id")
        return out.split(separator: "\n").map(String.init)
    }
}

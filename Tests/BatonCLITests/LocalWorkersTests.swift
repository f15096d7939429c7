import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// The workers `baton serve` embeds (`local_workers`): they register, take jobs and run them.
@Suite struct LocalWorkersTests {
    /// `make run` alone: a job posted to /dispatch with the default provider is taken by the
    /// embedded worker and completed, with its events.
    @Test func theEmbeddedWorkerCompletesADispatchedJob() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        // The job's workspace is read after it ends: kept (by default it goes with the job).
        let baton = try RunningBaton(
            ["serve", "--port", "0", "--data-dir", dir], environment: ["BATON_WORKSPACES__KEEP_ADHOC": "true"])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        // The local worker registers itself on start.
        #expect(await Self.localWorkerOnline(api), "local-1 never reported presence: \(baton.errors)")
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

    /// An HTTP provider configured with a `$secret:` API key: the embedded worker decrypts it from
    /// the vault at the moment of the request, and it is in no answer, log line or event.
    @Test func theEmbeddedWorkerUsesTheVaultForProviderKeys() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
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
        let api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        #expect(await Self.localWorkerOnline(api), "local-1 never reported presence: \(baton.errors)")
        let (status, dispatched) = try await api.call(.post, "/dispatch", #"{"prompt":"Hello","provider":"llm"}"#)
        #expect(status == 200, "dispatch: \(dispatched.text)")
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

    /// Whether the embedded worker `local-1` has registered (it does so on start), waiting for it.
    static func localWorkerOnline(_ api: NodeCommandTests.API) async -> Bool {
        await eventually {
            await api.json("/presence")["workers"]?.arrayValue?.contains { $0["instance"] == "local-1" } ?? false
        }
    }

    /// The job.* events of one job, oldest first, read from the database file.
    func eventTypes(dir: String, job id: Int64) throws -> [String] {
        let out = try sqliteQuery(
            dir + "/baton.db",
            "SELECT type FROM events WHERE type LIKE 'job.%' AND json_extract(data, '$.id') = \(id) ORDER BY id")
        return out.split(separator: "\n").map(String.init)
    }
}

import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// `baton node`: a second machine's worker in its own process, and the node API it serves.
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

        /// `GET path` as JSON, null when the request fails: for conditions `eventually` polls.
        func json(_ path: String) async -> JSONValue {
            (try? await call(.get, path))?.1 ?? .null
        }

        /// The job once it has finished (or as it is after `timeout`).
        func finished(_ id: Int64, timeout: Duration = .seconds(20)) async throws -> JSONValue {
            var job = JSONValue.null
            _ = await eventually(timeout: timeout, interval: .milliseconds(50)) {
                job = await json("/api/jobs/\(id)")
                return ["completed", "failed", "cancelled"].contains(job["status"]?.stringValue ?? "")
            }
            return job
        }
    }

    static func adminKey(_ dir: String) throws -> String {
        try String(contentsOfFile: dir + "/admin.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
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
        let client = HTTPClient()
        defer { client.shutdown() }
        let node = try RunningBaton([
            "node", "--port", "0", "--coordinator", "http://127.0.0.1:\(port)", "--token", token, "--name", "node-1",
            "--tags", "gpu,code", "--workspaces", workspaces,
        ])
        let nodePort = try #require(await node.waitForPort(), "node did not start: \(node.errors)")
        let api = API(port: port, key: try Self.adminKey(dir))
        #expect(
            await eventually { await api.json("/api/workers/node-1")["online"] == true },
            "node-1 never came online: \(node.errors)")
        let (_, registered) = try await api.call(.get, "/api/workers/node-1")
        #expect(registered["node_url"]?.stringValue == "http://127.0.0.1:\(nodePort)")
        // Its heartbeat carries the node API's top ranking, for the router's model-fit component.
        // Both rank the node's current system snapshot (refreshed every 5 s; free memory moves
        // enough to reorder near ties), so they agree from a heartbeat until the next refresh:
        // read both until one such pair is seen.
        var last: (heartbeat: [JSONValue], api: [JSONValue]) = ([], [])
        let agreed = await eventually(timeout: .seconds(30)) {
            guard
                let top = try? await client.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(nodePort)/api/v1/models/top?limit=20")),
                let ranking = (try? JSONParser.parse(top.body))?["models"]?.arrayValue
            else { return false }
            let heartbeat = await api.json("/api/workers/node-1")["top_models"]?.arrayValue ?? []
            last = (heartbeat, ranking)
            return !ranking.isEmpty && heartbeat.map { $0["name"] } == ranking.map { $0["name"] }
                && heartbeat.map { $0["fit"] } == ranking.map { $0["fit_level"] }
        }
        #expect(agreed, "heartbeat \(last.heartbeat.map { $0["name"] }) vs node API \(last.api.map { $0["name"] })")
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
}

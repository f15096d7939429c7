import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// The README walkthrough, as a user runs it: `baton serve` with its embedded worker, then
/// `baton webhook send` (signing with the secret it keeps in the same data directory), and the
/// issue is followed through /api/v1/state to completed.
@Suite struct WebhookCommandTests {
    /// `baton webhook send ARGUMENTS` to the server on `port`, signing with the secret in `dir`.
    static func send(_ arguments: [String], port: Int, dir: String) async throws -> BatonBinary.Result {
        try await BatonBinary.run(
            ["webhook", "send"] + arguments + ["--url", "http://127.0.0.1:\(port)", "--data-dir", dir])
    }

    @Test func theWalkthroughCompletesAnIssueSentAsAWebhook() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        let sent = try await Self.send(
            ["issue", "ENG-1", "--title", "Fix the login page", "--labels", "bug,auth"], port: port, dir: dir)
        #expect(sent.status == 0, "webhook send: \(sent.stdout) \(sent.stderr)")
        #expect(sent.stdout.hasPrefix("200 ") && sent.stdout.contains(#""duplicate":false"#))
        var state = JSONValue.null
        #expect(
            await eventually {
                state = await api.json("/api/v1/state")
                return state["counts"]?["completed"] == 1
            }, "state: \(state.text) \(baton.errors)")
        let (_, issue) = try await api.call(.get, "/api/v1/ENG-1")
        #expect(issue["labels"] == ["bug", "auth"] && issue["attempts"]?.arrayValue?.first?["status"] == "completed")
        let prompt = try String(contentsOfFile: dir + "-workspaces/ENG-1/PROMPT.md", encoding: .utf8)
        #expect(prompt.hasPrefix("You are working on ENG-1: Fix the login page"))
        let types = Set(try Self.eventTypes(dir: dir, issue: "ENG-1"))
        #expect(
            types.isSuperset(of: ["issue.queued", "issue.running", "job.completed", "issue.completed"]), "\(types)")
        // Moving it to Done in the "tracker" releases it.
        let done = try await Self.send(
            ["issue", "ENG-1", "--title", "Fix the login page", "--state", "Done", "--action", "update"], port: port,
            dir: dir)
        #expect(done.status == 0, "\(done.stderr)")
        #expect(await eventually { await api.json("/api/v1/ENG-1")["state"] == "released" })
        #expect(await baton.stop() == 0)
    }

    /// The workspaces API against the embedded worker: its heartbeat lists the issue's workspace
    /// with its size; DELETE has it removed on the worker.
    @Test func aWorkspaceIsListedAndRemovedOnTheWorker() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        let sent = try await Self.send(["issue", "ENG-2", "--title", "Tidy up"], port: port, dir: dir)
        #expect(sent.status == 0, "\(sent.stderr)")
        var listed: JSONValue?
        _ = await eventually {
            listed = await api.json("/api/v1/workspaces")["workspaces"]?.arrayValue?.first {
                $0["key"] == "ENG-2" && $0["bytes"] != .null
            }
            return listed != nil
        }
        let workspace = try #require(listed, "ENG-2 never listed: \(baton.errors)")
        #expect(workspace["worker"] == "local-1" && (workspace["bytes"]?.intValue ?? 0) > 0)
        #expect(workspace["path"]?.stringValue?.hasSuffix("-workspaces/ENG-2") == true)
        // Once its attempt has completed nothing runs in it (a running one is a 409).
        #expect(await eventually { await api.json("/api/v1/ENG-2")["state"] == "completed" })
        let (status, removing) = try await api.call(.delete, "/api/v1/workspaces/ENG-2")
        #expect(status == 202, "\(removing.text)")
        #expect(
            await eventually {
                await api.json("/api/v1/workspaces")["workspaces"]?.arrayValue?.contains { $0["key"] == "ENG-2" }
                    == false
            })
        #expect(!FileManager.default.fileExists(atPath: dir + "-workspaces/ENG-2"))
        #expect(await baton.stop() == 0)
    }

    /// A git route reaches the worker's after_create hook as BATON_GIT_* variables.
    @Test func theGitRouteReachesTheAfterCreateHook() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = #"""
            {"git":{"repos":[{"name":"app","url":"git@example.com:acme/app.git","default_branch":"trunk"}],
            "routes":[{"team":"ENG","repo":"app"}]},
            "workspaces":{"hooks":{"after_create":"printf '%s %s %s' \"$BATON_GIT_URL\" \"$BATON_GIT_BASE_BRANCH\" \"$BATON_GIT_BRANCH\" > route.txt"}}}
            """#
        try config.write(toFile: dir + "/baton.json", atomically: true, encoding: .utf8)
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir, "--config", dir + "/baton.json"])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let sent = try await Self.send(["issue", "ENG-3", "--title", "Route me"], port: port, dir: dir)
        #expect(sent.status == 0, "\(sent.stderr)")
        let file = dir + "-workspaces/ENG-3/route.txt"
        #expect(await eventually { access(file, F_OK) == 0 }, "\(baton.errors)")
        let text = try? String(contentsOfFile: file, encoding: .utf8)
        #expect(text == "git@example.com:acme/app.git trunk baton/ENG-3", "\(baton.errors)")
        #expect(await baton.stop() == 0)
    }

    @Test(arguments: [
        (["webhook"], "webhook needs: send issue|comment ID"),
        (["webhook", "send", "issue", "eng 1", "--title", "x"], "ID must be an issue identifier such as ENG-123"),
        (["webhook", "send", "issue", "ENG-1"], "--title is required"),
        (["webhook", "send", "issue", "ENG-1", "--title", "x", "--priority", "9"], "--priority must be 0 to 4"),
        (["webhook", "send", "comment", "ENG-1"], "--body is required"),
    ])
    func badArgumentsAreUsageErrors(arguments: [String], message: String) async throws {
        let result = try await BatonBinary.run(arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    /// The events of one issue, oldest first, read from the database file.
    static func eventTypes(dir: String, issue: String) throws -> [String] {
        let out = try sqliteQuery(dir + "/baton.db", "SELECT type FROM events WHERE issue = '\(issue)' ORDER BY id")
        return out.split(separator: "\n").map(String.init)
    }
}

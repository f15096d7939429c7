import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// A key revoked while `baton serve` runs stops working on the server's next look at the key set
/// (at most a second later), whether it was revoked over the API or by `baton keys revoke` in
/// another process on the same data directory.
@Suite struct KeyRevocationTests {
    /// The server looks at the key set at most once a second; a look is due within this (two
    /// intervals, for a loaded machine).
    static let withinALook = Duration.seconds(2)

    static func jobCount(_ dir: String) throws -> String {
        try sqliteQuery(dir + "/baton.db", "SELECT count(*) FROM jobs").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The reproduction: before, the revoked key kept getting 200s and a 201 on POST /api/jobs
    /// (only a request with an unknown key id made the server re-read its keys).
    @Test func aKeyRevokedByTheCLIIsRefusedByARunningServer() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        // The waits below poll every 10 ms with a key the server does not know yet (or no longer):
        // each is a request without a valid key, which the anonymous limit (60 a minute) counts.
        // How many land before a look depends on the machine's speed, and past 60 the answers are
        // 429, not the 401s checked here; the limit is set out of reach (it is not under test).
        let baton = try RunningBaton(
            ["serve", "--local-workers", "0", "--port", "0", "--data-dir", dir, "--no-access-log"],
            environment: ["BATON_SERVER__RATE_LIMITS__ANONYMOUS": "1000000"])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let created = try await BatonBinary.run([
            "keys", "create", "--role", "operator", "--name", "ci", "--data-dir", dir,
        ])
        #expect(created.status == 0, "\(created.stderr)")
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let id = String(token.dropFirst(3).prefix(8))
        let api = NodeCommandTests.API(port: port, key: token)
        defer { api.client.shutdown() }
        // A key made by the CLI arrives within the interval too.
        #expect(await eventually(timeout: Self.withinALook) { (try? await api.call(.get, "/api/jobs"))?.0 == 200 })
        #expect(try await api.call(.post, "/api/jobs", #"{"prompt":"p","provider":"dry-run"}"#).0 == 201)

        let revoked = try await BatonBinary.run(["keys", "revoke", id, "--data-dir", dir])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(await eventually(timeout: Self.withinALook) { (try? await api.call(.get, "/api/jobs"))?.0 == 401 })
        let jobsBefore = try Self.jobCount(dir)
        #expect(try await api.call(.post, "/api/jobs", #"{"prompt":"p","provider":"dry-run"}"#).0 == 401)
        #expect(try await api.call(.get, "/api/jobs").0 == 401)
        #expect(try Self.jobCount(dir) == jobsBefore)
        #expect(jobsBefore == "1")
        #expect(await baton.stop() == 0)
    }

    /// Over the API the revocation is in the server's own memory: refused on the very next request.
    @Test func aKeyRevokedOverTheAPIIsRefusedOnTheNextRequest() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let baton = try RunningBaton([
            "serve", "--local-workers", "0", "--port", "0", "--data-dir", dir, "--no-access-log",
        ])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let admin = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        defer { admin.client.shutdown() }
        let (status, made) = try await admin.call(.post, "/api/v1/keys", #"{"name":"ci","role":"operator"}"#)
        #expect(status == 201)
        let token = try #require(made["key"]?.stringValue)
        let id = try #require(made["id"]?.stringValue)
        let api = NodeCommandTests.API(port: port, key: token)
        defer { api.client.shutdown() }
        #expect(try await api.call(.get, "/api/jobs").0 == 200)
        #expect(try await admin.call(.delete, "/api/v1/keys/\(id)").0 == 204)
        let jobsBefore = try Self.jobCount(dir)
        #expect(try await api.call(.post, "/api/jobs", #"{"prompt":"p","provider":"dry-run"}"#).0 == 401)
        #expect(try await api.call(.get, "/api/jobs").0 == 401)
        #expect(try Self.jobCount(dir) == jobsBefore)
        #expect(await baton.stop() == 0)
    }
}

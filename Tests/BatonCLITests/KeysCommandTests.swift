import Foundation
import Testing

/// `baton keys` on a real data directory, and the first-start admin key of `baton serve`.
@Suite struct KeysCommandTests {
    static func dataDir() -> String { NSTemporaryDirectory() + "baton-keys-\(UUID().uuidString)" }

    @Test func createListRevoke() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        let created = try await BatonBinary.run([
            "keys", "create", "--role", "operator", "--name", "ci bot", "--tenant", "acme", "--data-dir", dir,
        ])
        #expect(created.status == 0, "\(created.stderr)")
        let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("bt_") && key.count == 52)
        #expect(created.stderr.contains("shown only once"))
        let id = String(key.dropFirst(3).prefix(8))

        let list = try await BatonBinary.run(["keys", "list", "--data-dir", dir])
        #expect(list.status == 0)
        #expect(list.stdout.contains(id) && list.stdout.contains("ci bot") && list.stdout.contains("acme"))
        #expect(!list.stdout.contains(String(key.suffix(40))))

        let revoked = try await BatonBinary.run(["keys", "revoke", id, "--data-dir", dir])
        #expect(revoked.status == 0)
        #expect(revoked.stdout.contains("revoked key \(id)"))
        let again = try await BatonBinary.run(["keys", "revoke", id, "--data-dir", dir])
        #expect(again.status == 1)
        #expect(again.stderr == "baton: no active key with id '\(id)'\n")
    }

    @Test func usageErrors() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        for args in [
            ["keys"], ["keys", "rotate"], ["keys", "create", "--name", "x"],
            ["keys", "create", "--role", "root", "--name", "x"],
            ["keys", "create", "--role", "viewer"],
            ["keys", "create", "--role", "viewer", "--name", "x", "--tenant", "a/b"],
            ["keys", "revoke"],
        ] {
            let result = try await BatonBinary.run(args + ["--data-dir", dir])
            #expect(result.status == 2, "\(args): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(args)")
        }
    }

    @Test func serveCreatesTheAdminKeyOnlyOnFirstStart() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        let first = try RunningBaton([
            "serve", "--local-workers", "0", "--port", "0", "--data-dir", dir, "--no-access-log",
        ])
        #expect(await first.waitForPort() != nil)
        #expect(await first.stop() == 0)
        #expect(first.output.contains("created the first admin key"))
        let saved = try String(contentsOfFile: dir + "/admin.key", encoding: .utf8)
        let second = try RunningBaton([
            "serve", "--local-workers", "0", "--port", "0", "--data-dir", dir, "--no-access-log",
        ])
        #expect(await second.waitForPort() != nil)
        #expect(await second.stop() == 0)
        #expect(!second.output.contains("admin key"))
        #expect(try String(contentsOfFile: dir + "/admin.key", encoding: .utf8) == saved)
    }
}

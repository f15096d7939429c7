import BatonTestSupport
import Foundation
import Testing

/// `baton audit verify` on a real data directory, after a real `baton serve` recorded changes.
@Suite struct AuditCommandTests {
    @Test func verifiesThenNamesAnEditedEntry() async throws {
        let dir = NSTemporaryDirectory() + "baton-audit-\(UUID().uuidString)"
        defer { removeDataDirectory(dir) }
        // Keys made at the console are not audited (no request); the API calls below are.
        let admin = try await BatonBinary.run(["keys", "create", "--role", "admin", "--name", "ops", "--data-dir", dir])
        #expect(admin.status == 0)
        let key = admin.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // Drive the audited path through the API of a running server.
        let baton = try RunningBaton([
            "serve", "--local-workers", "0", "--port", "0", "--data-dir", dir, "--no-access-log",
        ])
        let port = try #require(await baton.waitForPort())
        for _ in 0..<3 {
            _ = try await offPool {
                try curl([
                    "-s", "-X", "POST", "-H", "Authorization: Bearer \(key)", "-H", "Content-Type: application/json",
                    "-d", #"{"name":"x","role":"viewer"}"#, "http://127.0.0.1:\(port)/api/v1/keys",
                ])
            }
        }
        #expect(await baton.stop() == 0)

        let intact = try await BatonBinary.run(["audit", "verify", "--data-dir", dir])
        #expect(intact.status == 0, "\(intact.stderr)")
        #expect(intact.stdout == "3 entries, chain intact\n")

        // Someone with the database file goes around the append-only triggers.
        _ = try await offPool {
            try sqlite(
                dir + "/baton.db", "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'key:innocent' WHERE id = 2;"
            )
        }
        let broken = try await BatonBinary.run(["audit", "verify", "--data-dir", dir])
        #expect(broken.status == 1)
        #expect(broken.stderr == "baton: audit entry 2 is broken: its content does not match its hash\n")
    }

    @Test func usage() async throws {
        let result = try await BatonBinary.run(["audit"])
        #expect(result.status == 2)
    }
}

/// Runs a command-line tool to completion and returns its stdout.
func runTool(_ path: String, _ arguments: [String]) throws -> String {
    try ChildProcess.run(path, arguments).stdout
}

func curl(_ arguments: [String]) throws -> String { try runTool("/usr/bin/curl", arguments) }

/// Edits the database with Python's sqlite3 module (python3 is a test dependency; the sqlite3
/// command-line shell is not installed everywhere).
func sqlite(_ path: String, _ script: String) throws -> String {
    try runTool(
        "/usr/bin/python3",
        [
            "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", path,
            script,
        ])
}

/// The rows of one query, one line each with columns separated by tabs (python3's sqlite3).
func sqliteQuery(_ path: String, _ query: String) throws -> String {
    try runTool(
        "/usr/bin/python3",
        [
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print('\\t'.join(map(str, r))) for r in c.execute(sys.argv[2])]",
            path, query,
        ])
}

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

    @Test func pruneKeepsVerifyGreenFromTheAnchor() async throws {
        let dir = NSTemporaryDirectory() + "baton-audit-\(UUID().uuidString)"
        defer { removeDataDirectory(dir) }
        // A migrated data directory with four entries: three written in January, one today.
        #expect(try await BatonBinary.run(["migrate", "--data-dir", dir]).status == 0)
        let insert = (1...4).map { id in
            let at = id < 4 ? "2026-01-0\(id)T00:00:00.000Z" : "2026-12-06T00:00:00.000Z"
            return
                "INSERT INTO audit (id, at, actor, action, target, diff, prev_hash, hash) VALUES (\(id), '\(at)', 'system', 'a', 't', '{}', 'p', 'h');"
        }.joined()
        _ = try await offPool { try sqlite(dir + "/baton.db", insert) }
        // Those rows do not chain (made by hand): the prune refuses, and nothing is removed.
        let refused = try await BatonBinary.run(["audit", "prune", "--before", "2026-02-01", "--data-dir", dir])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("audit entry 1 is broken"), "\(refused.stderr)")
        #expect(try await offPool { try sqliteQuery(dir + "/baton.db", "SELECT count(*) FROM audit") } == "4\n")
        _ = try await offPool { try sqlite(dir + "/baton.db", "DROP TRIGGER audit_no_delete; DELETE FROM audit;") }
        _ = try await offPool {
            try sqlite(
                dir + "/baton.db",
                "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit WHEN OLD.id > coalesce((SELECT last_id FROM audit_anchor WHERE id = 1), 0) BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
            )
        }

        // A real chain: keys made through a running server.
        let admin = try await BatonBinary.run(["keys", "create", "--role", "admin", "--name", "ops", "--data-dir", dir])
        let key = admin.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
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
        #expect(
            try await BatonBinary.run(["audit", "verify", "--data-dir", dir]).stdout == "3 entries, chain intact\n")

        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let now = try await BatonBinary.run([
            "audit", "prune", "--before", format.string(from: Date()), "--data-dir", dir,
        ])
        #expect(now.status == 0, "\(now.stderr)")
        #expect(now.stdout.hasPrefix("pruned 3 entries written before "), "\(now.stdout)")
        // The prune is itself an entry, chained to the anchor.
        let verified = try await BatonBinary.run(["audit", "verify", "--data-dir", dir])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.hasPrefix("1 entries, chain intact from the prune anchor (entries up to 3"))
        #expect(
            try await offPool { try sqliteQuery(dir + "/baton.db", "SELECT id, action FROM audit") }
                == "4\taudit.prune\n")
    }

    @Test(arguments: [
        (["audit", "prune"], "audit prune needs --before DATE"),
        (["audit", "prune", "--before", "yesterday"], "--before must be a date"),
        (["audit", "prune", "--before", "2026-02-30"], "--before must be a date"),
        (["audit", "prune", "--before", "2999-01-01"], "is in the future"),
        (["audit", "verify", "--before", "2026-01-01"], "--before belongs to audit prune"),
    ])
    func pruneUsageErrors(arguments: [String], message: String) async throws {
        let dir = NSTemporaryDirectory() + "baton-audit-\(UUID().uuidString)"
        defer { removeDataDirectory(dir) }
        let result = try await BatonBinary.run(arguments + ["--data-dir", dir])
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
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

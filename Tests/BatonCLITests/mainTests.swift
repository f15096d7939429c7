import Foundation
import Testing

/// The `baton` command as a user meets it: help, usage errors and exit codes.
@Suite struct CommandLineTests {
    @Test func topLevelHelpListsExactlyTheCommandsThatExist() async throws {
        let result = try await BatonBinary.run(["--help"])
        #expect(result.status == 0)
        for command in ["serve", "node", "system", "fit", "migrate", "keys", "secrets", "webhook", "audit", "version"] {
            #expect(result.stdout.contains("  \(command) "), "help should list \(command)")
        }
        // Not built yet: the help must not promise them.
        for missing in ["openapi", "issues"] { #expect(!result.stdout.contains("  \(missing) ")) }
        #expect(result.stdout.contains("Exit status"))
    }

    @Test func noArgumentsPrintsHelpAndFailsAsUsage() async throws {
        let result = try await BatonBinary.run([])
        #expect(result.status == 2)
        #expect(result.stdout.contains("Usage: baton <command>"))
    }

    @Test func everyCommandExplainsItself() async throws {
        for command in ["serve", "node", "migrate", "webhook", "version"] {
            let result = try await BatonBinary.run([command, "--help"])
            #expect(result.status == 0)
            #expect(result.stdout.hasPrefix("Usage: baton \(command)"))
        }
        let serve = try await BatonBinary.run(["serve", "--help"])
        for option in ["--host", "--port", "--data-dir"] { #expect(serve.stdout.contains(option)) }
    }

    @Test func unknownCommandIsAUsageError() async throws {
        let result = try await BatonBinary.run(["frobnicate"])
        #expect(result.status == 2)
        #expect(result.stderr == "baton: unknown command 'frobnicate'; run `baton --help` to list the commands\n")
    }

    @Test func badOptionsAreUsageErrorsWithOneLine() async throws {
        for args in [
            ["serve", "--port", "http"], ["serve", "--port", "70000"], ["serve", "--bogus"], ["serve", "--port"],
            ["migrate", "extra"],
        ] {
            let result = try await BatonBinary.run(args)
            #expect(result.status == 2, "\(args)")
            #expect(result.stderr.hasPrefix("baton: "), "\(args)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(args): \(result.stderr)")
        }
    }

    @Test func versionPrintsTheVersion() async throws {
        let result = try await BatonBinary.run(["version"])
        #expect(result.status == 0)
        #expect(result.stdout == "0.1.0\n")
    }

    @Test func migrateReportsAppliedThenAlreadyApplied() async throws {
        let dir = NSTemporaryDirectory() + "baton-cli-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try await BatonBinary.run(["migrate", "--data-dir", dir])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("0001 events  applied now at 20"))
        let second = try await BatonBinary.run(["migrate", "--data-dir", dir])
        #expect(second.status == 0)
        #expect(second.stdout.contains("0001 events  already applied at 20"))
        #expect(second.stdout.contains("0 applied now"))
        // The data directory holds keys later: only its owner may enter it.
        let attributes = try FileManager.default.attributesOfItem(atPath: dir)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
    }

    @Test func migrateIntoAPathThatIsAFileFailsAtRuntime() async throws {
        let file = NSTemporaryDirectory() + "baton-cli-file-\(UUID().uuidString)"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await BatonBinary.run(["migrate", "--data-dir", file])
        #expect(result.status == 1)
        #expect(result.stderr.contains("is not a directory"))
    }
}

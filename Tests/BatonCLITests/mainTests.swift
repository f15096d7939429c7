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
}

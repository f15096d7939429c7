import BatonTestSupport
import Testing

@testable import BatonAgent

/// How a CLI provider is started: command words, args, env with secrets, and the version check.
@Suite struct AgentProcessTests {
    @Test func theCommandIsSplitAndArgsFollowBatonsOwn() async throws {
        let launch = AgentLaunch(command: "/bin/echo app-server  --flag", args: ["two words", "$HOME"])
        let resolved = try await launch.resolve()
        #expect(resolved.executable == "/bin/echo")
        #expect(resolved.arguments(["-p"]) == ["app-server", "--flag", "-p", "two words", "$HOME"])
    }

    @Test func aProgramIsFoundOnPATHWithoutAShell() async throws {
        #expect(Executable.find("sh") != nil)
        #expect(Executable.find("no-such-program-baton") == nil)
        #expect(Executable.find("echo", path: "/nonexistent") == nil)
        let failure = await #expect(throws: AgentLaunch.Failure.self) {
            try await AgentLaunch(command: "no-such-program-baton").resolve()
        }
        #expect(failure?.description.contains("no-such-program-baton is not installed") == true)
    }

    @Test func secretsInEnvAreResolvedAtStartAndAMissingOneIsASentence() async throws {
        let launch = AgentLaunch(
            command: "/bin/true", environment: ["API_KEY": "$secret:key", "PLAIN": "value"],
            secret: { $0 == "$secret:key" ? "s3cret" : nil })
        #expect(try await launch.resolve().environment == ["API_KEY": "s3cret", "PLAIN": "value"])
        let missing = AgentLaunch(command: "/bin/true", environment: ["API_KEY": "$secret:other"], secret: { _ in nil })
        let failure = await #expect(throws: AgentLaunch.Failure.self) { try await missing.resolve() }
        #expect(failure?.description == "env API_KEY: no secret $secret:other is stored")
        let bad = AgentLaunch(command: "/bin/true", environment: ["1BAD=": "x"])
        await #expect(throws: AgentLaunch.Failure.self) { try await bad.resolve() }
    }

    /// The secret reaches the child's environment and nowhere else: not its arguments.
    @Test func aSecretReachesTheAgentsEnvironment() async throws {
        let launch = AgentLaunch(command: "/usr/bin/env", environment: ["TOKEN": "$secret:t"], secret: { _ in "tok-1" })
        let resolved = try await launch.resolve()
        let result = try ChildProcess.run(
            resolved.executable, resolved.arguments([]), environment: resolved.environment)
        #expect(result.stdout.contains("TOKEN=tok-1"))
        #expect(!resolved.arguments([]).contains { $0.contains("tok-1") })
    }

    @Test func versionsAreParsedAndRanged() {
        let range = VersionRange(minimum: [0, 163, 0], below: [0, 200, 0], tested: "x")
        #expect(VersionRange.parse("0.163.0") == [0, 163, 0] && VersionRange.parse("v2.1.337-beta") == [2, 1, 337])
        #expect(
            VersionRange.parse("abc") == nil && VersionRange.parse("1") == nil && VersionRange.parse("9999999.1") == nil
        )
        #expect(range.contains([0, 163, 0]) && range.contains([0, 199, 9]))
        #expect(!range.contains([0, 162, 9]) && !range.contains([0, 200, 0]) && !range.contains([1, 0]))
    }
}

import Testing

/// `baton version`.
@Suite struct VersionCommandTests {
    @Test func versionPrintsTheVersion() async throws {
        let result = try await BatonBinary.run(["version"])
        #expect(result.status == 0)
        #expect(result.stdout == "0.1.0\n")
    }
}

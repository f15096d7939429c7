import Foundation
import Testing

/// `baton migrate` on a data directory.
@Suite struct MigrateCommandTests {
    @Test func migrateReportsAppliedThenAlreadyApplied() async throws {
        let dir = NSTemporaryDirectory() + "baton-cli-\(UUID().uuidString)"
        defer { removeDataDirectory(dir) }
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

import BatonCrypto
import Foundation
import Testing

/// `baton secrets` and the master key on a real data directory.
@Suite struct SecretsCommandTests {
    static func dataDir() -> String { NSTemporaryDirectory() + "baton-secrets-\(UUID().uuidString)" }

    @Test func setListDeleteAndRotate() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        let set = try await BatonBinary.run(
            ["secrets", "set", "linear_api_key", "--data-dir", dir], input: "lin_api_SECRET\n")
        #expect(set.status == 0, "\(set.stderr)")
        #expect(!set.stdout.contains("lin_api_SECRET"))
        let list = try await BatonBinary.run(["secrets", "list", "--data-dir", dir])
        #expect(list.stdout.hasPrefix("linear_api_key\t20"))
        #expect(!list.stdout.contains("lin_api_SECRET"))
        let keyBefore = try String(contentsOfFile: dir + "/master.key", encoding: .utf8)
        let rotated = try await BatonBinary.run(["secrets", "rotate-master", "--data-dir", dir])
        #expect(rotated.status == 0)
        #expect(rotated.stdout == "re-encrypted 1 secrets under a new master key\n")
        #expect(try String(contentsOfFile: dir + "/master.key", encoding: .utf8) != keyBefore)
        #expect(try await BatonBinary.run(["secrets", "list", "--data-dir", dir]).stdout.hasPrefix("linear_api_key"))
        #expect(try await BatonBinary.run(["secrets", "delete", "linear_api_key", "--data-dir", dir]).status == 0)
        let again = try await BatonBinary.run(["secrets", "delete", "linear_api_key", "--data-dir", dir])
        #expect(again.status == 1)
        #expect(again.stderr == "baton: no secret named 'linear_api_key' in tenant default\n")
    }

    @Test func badNamesAreUsageErrors() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        for args in [
            ["secrets", "set", "../x"], ["secrets", "set"], ["secrets", "frob"], ["secrets", "delete", ""], ["secrets"],
        ] {
            let result = try await BatonBinary.run(args + ["--data-dir", dir], input: "v")
            #expect(result.status == 2, "\(args)")
        }
    }

    @Test func serveRefusesToStartWithoutTheMasterKey() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        #expect(try await BatonBinary.run(["secrets", "set", "a", "--data-dir", dir], input: "v").status == 0)
        try FileManager.default.removeItem(atPath: dir + "/master.key")
        let result = try await BatonBinary.run(["serve", "--port", "0", "--data-dir", dir])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("baton: secrets: master key: secrets are stored but there is no key"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        // A wrong key from the environment is refused too.
        let wrong = Base64.encode(SecureRandom.bytes(32))
        let withWrong = try await BatonBinary.run(
            ["serve", "--port", "0", "--data-dir", dir], environment: ["BATON_MASTER_KEY": wrong])
        #expect(withWrong.status == 1)
        #expect(withWrong.stderr.contains("does not open this vault"))
        let malformed = try await BatonBinary.run(
            ["secrets", "list", "--data-dir", dir], environment: ["BATON_MASTER_KEY": "short"])
        #expect(malformed.status == 1)
        #expect(malformed.stderr.contains("BATON_MASTER_KEY is not base64 of exactly 32 bytes"))
    }

    @Test func theEnvironmentKeyWorksAndRotationPrintsTheNewOne() async throws {
        let dir = Self.dataDir()
        defer { removeDataDirectory(dir) }
        let key = Base64.encode(SecureRandom.bytes(32))
        let env = ["BATON_MASTER_KEY": key]
        #expect(
            try await BatonBinary.run(["secrets", "set", "a", "--data-dir", dir], input: "v", environment: env).status
                == 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/master.key"))
        let rotated = try await BatonBinary.run(["secrets", "rotate-master", "--data-dir", dir], environment: env)
        #expect(rotated.status == 0)
        let lines = rotated.stdout.split(separator: "\n")
        let newKey = String(try #require(lines.last))
        #expect(newKey != key && Base64.decode(newKey)?.count == 32)
        #expect(try await BatonBinary.run(["secrets", "list", "--data-dir", dir], environment: env).status == 1)
        #expect(
            try await BatonBinary.run(
                ["secrets", "list", "--data-dir", dir], environment: ["BATON_MASTER_KEY": newKey]
            ).status == 0)
    }
}

import BatonCrypto
import BatonStore
import BatonTestSupport
import Testing

@testable import BatonCore

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SecretVaultTests {
    static func withVault(_ body: (Database, SecretVault, TemporaryDirectory) async throws -> Void) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let db = try await offPool { try EventBusTests.openDatabase(dir) }
        do {
            try await body(db, try await offPool { try SecretVault.open(dataDir: dir.path, database: db) }, dir)
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }

    static func rows(_ db: Database) throws -> [String] {
        try db.readBlocking { conn in
            try conn.query("SELECT * FROM secrets ORDER BY tenant, name").map { row in
                row.columns.map { "\($0)=\(row[$0])" }.joined(separator: ",")
            } + conn.query("SELECT * FROM vault_check").map { "\($0["ciphertext"])" }
        }
    }

    @Test func roundTripsPerTenantAndResolvesReferences() async throws {
        try await Self.withVault { _, vault, _ in
            try await vault.set(tenant: "acme", name: "linear_api_key", value: "lin_api_ü🚀")
            #expect(try await vault.value(tenant: "acme", name: "linear_api_key") == "lin_api_ü🚀")
            #expect(try await vault.resolve("$secret:linear_api_key", tenant: "acme") == "lin_api_ü🚀")
            #expect(try await vault.resolve("plain text", tenant: "acme") == "plain text")
            await #expect(throws: SecretVault.Failure.notFound("linear_api_key")) {
                try await vault.value(tenant: "other", name: "linear_api_key")
            }
            try await vault.set(tenant: "acme", name: "linear_api_key", value: "v2")
            #expect(try await vault.list(tenant: "acme").map(\.name) == ["linear_api_key"])
            #expect(try await vault.value(tenant: "acme", name: "linear_api_key") == "v2")
        }
    }

    @Test func aRowMovedToAnotherNameOrTenantDoesNotDecrypt() async throws {
        try await Self.withVault { db, vault, _ in
            try await vault.set(tenant: "acme", name: "a", value: "secret-a")
            try await db.write { conn in
                try conn.execute(
                    "INSERT INTO secrets SELECT 'evil', 'a', nonce, ciphertext, created_at, updated_at FROM secrets WHERE name = 'a'"
                )
                try conn.execute(
                    "INSERT INTO secrets SELECT tenant, 'b', nonce, ciphertext, created_at, updated_at FROM secrets WHERE tenant = 'acme'"
                )
            }
            await #expect(throws: SecretVault.Failure.undecryptable("evil/a")) {
                try await vault.value(tenant: "evil", name: "a")
            }
            await #expect(throws: SecretVault.Failure.undecryptable("acme/b")) {
                try await vault.value(tenant: "acme", name: "b")
            }
        }
    }

    @Test func aTamperedCiphertextIsAClearErrorNamingIt() async throws {
        try await Self.withVault { db, vault, _ in
            try await vault.set(tenant: "default", name: "token", value: "abc")
            try await db.write { try $0.execute("UPDATE secrets SET ciphertext = zeroblob(length(ciphertext))") }
            do {
                _ = try await vault.value(tenant: "default", name: "token")
                Issue.record("should not decrypt")
            } catch let failure as SecretVault.Failure {
                #expect(failure.description.contains("\"token\" cannot be decrypted"))
            }
            #expect(try await vault.list(tenant: "default").count == 1)
        }
    }

    @Test(arguments: ["", "../x", ".", "..", "a/b", "a b", String(repeating: "n", count: 129), "naïve"])
    func badNamesAreRefused(name: String) async throws {
        try await Self.withVault { db, vault, _ in
            let before = try Self.rows(db)
            await #expect(throws: SecretVault.Failure.self) {
                try await vault.set(tenant: "default", name: name, value: "x")
            }
            #expect(try Self.rows(db) == before)
        }
    }

    @Test func valuesOverOneMebibyteAreRefused() async throws {
        try await Self.withVault { db, vault, _ in
            let before = try Self.rows(db)
            let tooBig = String(repeating: "x", count: SecretVault.maxValueLength + 1)
            await #expect(throws: SecretVault.Failure.valueTooLarge(limit: SecretVault.maxValueLength)) {
                try await vault.set(tenant: "default", name: "big", value: tooBig)
            }
            #expect(try Self.rows(db) == before)
            try await vault.set(
                tenant: "default", name: "max", value: String(repeating: "x", count: SecretVault.maxValueLength))
        }
    }

    @Test func theMasterKeyFileIsPrivateAndAWrongOrMissingKeyIsRefused() async throws {
        try await Self.withVault { db, vault, dir in
            try await vault.set(tenant: "default", name: "a", value: "x")
            var info = stat()
            #expect(stat(dir.path + "/master.key", &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            let original = try KeyFile.read(dir.path + "/master.key")!
            try KeyFile.write(dir.path + "/master.key", Array((Base64.encode(SecureRandom.bytes(32)) + "\n").utf8))
            #expect(throws: SecretVault.Failure.self) { try SecretVault.open(dataDir: dir.path, database: db) }
            unlink(dir.path + "/master.key")
            do {
                _ = try SecretVault.open(dataDir: dir.path, database: db)
                Issue.record("opened without a key")
            } catch let failure as SecretVault.Failure {
                #expect(failure.description.contains("secrets are stored but there is no key"))
            }
            try KeyFile.write(dir.path + "/master.key", original)
            #expect(throws: Never.self) { try SecretVault.open(dataDir: dir.path, database: db) }
        }
    }

    @Test func rotationReEncryptsEverythingAndTheOldKeyStopsWorking() async throws {
        try await Self.withVault { db, vault, dir in
            for i in 0..<5 { try await vault.set(tenant: i % 2 == 0 ? "a" : "b", name: "s\(i)", value: "value-\(i)") }
            let oldKey = try KeyFile.read(dir.path + "/master.key")!
            let (count, environmentKey) = try SecretVault.rotateMaster(dataDir: dir.path, database: db)
            #expect(count == 5 && environmentKey == nil)
            #expect(try KeyFile.read(dir.path + "/master.key")! != oldKey)
            #expect(try KeyFile.read(dir.path + "/master.key.new") == nil)
            let reopened = try SecretVault.open(dataDir: dir.path, database: db)
            #expect(try await reopened.value(tenant: "b", name: "s3") == "value-3")
            let old = MasterKey(bytes: Base64.decode(String(decoding: oldKey, as: UTF8.self))!, source: .environment)
            #expect(throws: SecretVault.Failure.self) { try SecretVault(database: db, masterKey: old) }
        }
    }

    @Test func aFailedRotationChangesNothing() async throws {
        try await Self.withVault { db, vault, dir in
            for i in 0..<3 { try await vault.set(tenant: "default", name: "s\(i)", value: "v\(i)") }
            try await db.write {
                try $0.execute("UPDATE secrets SET ciphertext = zeroblob(length(ciphertext)) WHERE name = 's1'")
            }
            let rowsBefore = try Self.rows(db)
            let keyBefore = try KeyFile.read(dir.path + "/master.key")
            do {
                _ = try SecretVault.rotateMaster(dataDir: dir.path, database: db)
                Issue.record("rotation should have failed")
            } catch let failure as SecretVault.Failure {
                #expect(failure == .undecryptable("s1"))
            }
            #expect(try Self.rows(db) == rowsBefore)
            #expect(try KeyFile.read(dir.path + "/master.key") == keyBefore)
            #expect(try KeyFile.read(dir.path + "/master.key.new") == nil)
        }
    }

    @Test func anInterruptedRotationIsFinishedAtTheNextOpen() async throws {
        try await Self.withVault { db, vault, dir in
            try await vault.set(tenant: "default", name: "s", value: "v")
            // As if the process died after the commit but before renaming the new key into place.
            let next = SecureRandom.bytes(32)
            try KeyFile.write(dir.path + "/master.key.new", Array(Base64.encode(next).utf8))
            _ = try vault.rotate(to: next)
            let reopened = try SecretVault.open(dataDir: dir.path, database: db)
            #expect(try await reopened.value(tenant: "default", name: "s") == "v")
            #expect(try KeyFile.read(dir.path + "/master.key.new") == nil)
            #expect(
                try KeyFile.read(dir.path + "/master.key").map { String(decoding: $0, as: UTF8.self) }
                    == Base64.encode(next))
        }
    }
}

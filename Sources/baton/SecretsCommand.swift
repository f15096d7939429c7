import BatonCore
import BatonStore

#if canImport(Glibc)
    import Glibc
#endif

enum SecretsCommand: BatonCommand {
    static let name = "secrets"
    static let summary = "Store, list, delete secrets; rotate the master key."
    static let help = """
        Usage: baton secrets set NAME [--tenant T] [--data-dir DIR]      (the value is read from stdin)
               baton secrets list [--tenant T] [--data-dir DIR]
               baton secrets delete NAME [--tenant T] [--data-dir DIR]
               baton secrets rotate-master [--data-dir DIR]

        Secrets are encrypted with XChaCha20-Poly1305 under the master key: BATON_MASTER_KEY (base64
        of 32 bytes) when set, else <data-dir>/master.key (mode 0600, made on first use). Config
        refers to them as "$secret:NAME". Values are never printed. `set` reads the value from
        standard input (one trailing newline is dropped), so it stays out of shell history and ps.

        rotate-master makes a new master key and re-encrypts every value in one transaction; if any
        value does not decrypt, nothing changes and the command names it. With BATON_MASTER_KEY, the
        new key is printed once: put it in the environment before the next start.

        Names: [A-Za-z0-9_.-], 1 to 128 characters. Values: at most 1 MiB.

        Options:
          --tenant T       The tenant the secret belongs to (default: default).
          --data-dir DIR   Where Baton keeps its database (default: .baton).
          --help           Show this help.
        """
    static let options = CommandLineOptions.Spec(valued: ["tenant", "data-dir"], flags: [])

    static func run(_ options: CommandLineOptions) async throws {
        guard let action = options.positionals.first else {
            throw UsageError("secrets needs set, list, delete or rotate-master")
        }
        let dataDir = options.value("data-dir") ?? ".baton"
        let tenant = options.value("tenant") ?? "default"
        guard KeyStore.isValidTenant(tenant) else { throw UsageError("--tenant must match [A-Za-z0-9._-]{1,64}") }
        let arguments = Array(options.positionals.dropFirst())
        func oneName() throws -> String {
            guard arguments.count == 1 else { throw UsageError("secrets \(action) needs exactly one NAME") }
            guard SecretVault.isValidName(arguments[0]) else {
                throw UsageError(SecretVault.Failure.invalidName(arguments[0]).description)
            }
            return arguments[0]
        }
        switch action {
        case "set":
            let name = try oneName()
            // The vault counts characters; a character is at most 4 bytes of UTF-8.
            let value = try readStandardInput(limit: SecretVault.maxValueLength * 4)
            try await withVault(dataDir) { vault in
                try await vault.set(tenant: tenant, name: name, value: value)
                print("stored secret \(name) (tenant \(tenant))")
            }
        case "list":
            guard arguments.isEmpty else { throw UsageError("secrets list takes no arguments") }
            try await withVault(dataDir) { vault in
                for item in try await vault.list(tenant: tenant) { print("\(item.name)\t\(item.updatedAt)") }
            }
        case "delete":
            let name = try oneName()
            try await withVault(dataDir) { vault in
                do {
                    try await vault.delete(tenant: tenant, name: name)
                } catch SecretVault.Failure.notFound {
                    throw RuntimeError("no secret named '\(name)' in tenant \(tenant)")
                }
                print("deleted secret \(name) (tenant \(tenant))")
            }
        case "rotate-master":
            guard arguments.isEmpty else { throw UsageError("secrets rotate-master takes no arguments") }
            do {
                try await DataDirectory.withMigratedDatabase(dataDir) { database in
                    let (count, environmentKey) = try SecretVault.rotateMaster(dataDir: dataDir, database: database)
                    print("re-encrypted \(count) secrets under a new master key")
                    if let environmentKey {
                        print("set \(MasterKey.environmentVariable) to this new key before the next start:")
                        print(environmentKey)
                    }
                }
            } catch {
                throw RuntimeError("rotation failed, nothing changed: \(error)")
            }
        default:
            throw UsageError("unknown secrets action '\(action)'; use set, list, delete or rotate-master")
        }
    }

    private static func withVault(_ dataDir: String, _ body: (SecretVault) async throws -> Void) async throws {
        do {
            try await DataDirectory.withMigratedDatabase(dataDir) { database in
                try await body(try SecretVault.open(dataDir: dataDir, database: database))
            }
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError("\(error)")
        }
    }

    private static func readStandardInput(limit: Int) throws -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw RuntimeError("cannot read the value from standard input")
            }
            if n == 0 { break }
            bytes += buffer[..<n]
            if bytes.count > limit + 2 { throw RuntimeError("the value is larger than \(limit) bytes") }
        }
        if bytes.last == 10 { bytes.removeLast() }
        if bytes.last == 13 { bytes.removeLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw RuntimeError("the value is not UTF-8 text")
        }
        return text
    }
}

import BatonCore
import BatonStore

enum KeysCommand: BatonCommand {
    static let name = "keys"
    static let summary = "Create, list and revoke API keys."
    static let help = """
        Usage: baton keys create --role ROLE --name NAME [--tenant TENANT] [--data-dir DIR]
               baton keys list [--tenant TENANT] [--data-dir DIR]
               baton keys revoke ID [--data-dir DIR]

        Manages API keys directly in the database (safe while `baton serve` runs: it picks up new
        and revoked keys). Keys look like bt_<id>_<secret>; only a keyed hash of the secret is
        stored, so `create` shows the whole key exactly once.

        Roles: admin (everything), operator (read and change), viewer (read), worker (presence,
        leases and its own jobs). Every key belongs to a tenant (default: default) and sees only
        that tenant's records.

        Options:
          --role ROLE      admin, operator, viewer or worker (create).
          --name NAME      What the key is for, 1–100 characters (create).
          --tenant TENANT  [A-Za-z0-9._-]{1,64} (default: default; for list: all tenants).
          --data-dir DIR   Where Baton keeps its database (default: .baton).
          --help           Show this help.
        """
    static let options = CommandLineOptions.Spec(valued: ["role", "name", "tenant", "data-dir"], flags: [])

    static func run(_ options: CommandLineOptions) async throws {
        guard let action = options.positionals.first else { throw UsageError("keys needs create, list or revoke") }
        let dataDir = options.value("data-dir") ?? ".baton"
        switch action {
        case "create":
            guard options.positionals.count == 1 else { throw UsageError("keys create takes no arguments") }
            guard let roleText = options.value("role") else { throw UsageError("keys create needs --role") }
            guard let role = Role(rawValue: roleText) else {
                throw UsageError("--role must be admin, operator, viewer or worker, not '\(roleText)'")
            }
            guard let name = options.value("name") else { throw UsageError("keys create needs --name") }
            let tenant = options.value("tenant") ?? "default"
            do { try KeyStore.validate(name: name, tenant: tenant) } catch { throw UsageError("\(error)") }
            try await withKeys(dataDir) { keys in
                let (record, token) = try await keys.create(name: name, role: role, tenant: tenant)
                print(token.text)
                writeError(
                    "created \(record.role.rawValue) key \(record.id) '\(record.name)' in tenant \(record.tenant); the key above is shown only once"
                )
            }
        case "list":
            guard options.positionals.count == 1 else { throw UsageError("keys list takes no arguments") }
            try await withKeys(dataDir) { keys in
                let (list, _) = keys.list(tenant: options.value("tenant"), limit: Int.max, offset: 0)
                print("ID        ROLE      TENANT            CREATED                   REVOKED                   NAME")
                for k in list {
                    print(
                        [
                            pad(k.id, 9), pad(k.role.rawValue, 9), pad(k.tenant, 17), pad(k.createdAt, 25),
                            pad(k.revokedAt ?? "-", 25), k.name,
                        ].joined(separator: " "))
                }
            }
        case "revoke":
            guard options.positionals.count == 2 else { throw UsageError("keys revoke needs exactly one key id") }
            let id = options.positionals[1]
            try await withKeys(dataDir) { keys in
                do {
                    // The operator at the console may revoke even the last admin key (say, a leaked one).
                    let record = try await keys.revoke(id: id, tenant: nil, protectLastAdmin: false)
                    print(
                        "revoked key \(record.id) '\(record.name)' (\(record.role.rawValue), tenant \(record.tenant))")
                } catch KeyStore.Failure.notFound {
                    throw RuntimeError("no active key with id '\(id)'")
                }
            }
        default:
            throw UsageError("unknown keys action '\(action)'; use create, list or revoke")
        }
    }

    private static func withKeys(_ dataDir: String, _ body: (KeyStore) async throws -> Void) async throws {
        try await DataDirectory.withMigratedDatabase(dataDir) { database in
            try await body(try DataDirectory.openKeyStore(dataDir, database: database))
        }
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s + String(repeating: " ", count: max(0, width - s.count))
    }
}

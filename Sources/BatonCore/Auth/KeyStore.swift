import BatonCrypto
import BatonStore
import Synchronization

/// A stored API key as the API shows it: never its secret or hash.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: Role
    public var tenant: String
    public var createdAt: String
    public var revokedAt: String?
    public var lastUsedAt: String?
}

/// API keys: creation, listing, revocation and authentication.
///
/// Every key is held in memory (there are few), so authenticating a request costs one keyed
/// BLAKE2b and a constant-time compare, and no database read. `last_used_at` is kept in memory and
/// written in batches by `flushLastUsed()`, never once per request. Keys made or revoked by another
/// process (the `baton keys` command) are picked up by `reload()` and on a cache miss.
public final class KeyStore: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidName(String)
        case invalidTenant(String)
        case notFound
        case lastAdmin
        public var description: String {
            switch self {
            case .invalidName(let why): "invalid key name: \(why)"
            case .invalidTenant(let why): "invalid tenant: \(why)"
            case .notFound: "no such key"
            case .lastAdmin: "this is the tenant's last active admin key; create another admin key first"
            }
        }
    }

    struct Entry: Sendable {
        var record: APIKeyRecord
        var hash: [UInt8]
    }

    struct State {
        var entries: [String: Entry] = [:]
        var used: [String: String] = [:]
    }

    public let database: Database
    private let hashingKey: [UInt8]
    private let state = Mutex(State())

    /// `hashingKey`: 32 secret bytes (see `loadHashingKey`) that make stored hashes useless without it.
    public init(database: Database, hashingKey: [UInt8]) throws {
        precondition(hashingKey.count == BLAKE2b.keyLength, "the key hashing key must be 32 bytes")
        self.database = database
        self.hashingKey = hashingKey
        try reloadBlocking()
    }

    /// Reads `<dataDir>/keyhash.key`, creating it (32 random bytes, 0600) when absent. With keys
    /// already stored, a missing or malformed file is an error: new hashes would not match them.
    public static func loadHashingKey(dataDir: String, database: Database) throws -> [UInt8] {
        let path = dataDir + "/keyhash.key"
        if let text = try KeyFile.read(path) {
            guard let bytes = Base64.decode(String(decoding: text, as: UTF8.self)), bytes.count == BLAKE2b.keyLength
            else { throw KeyFile.Failure.io(path: path, reason: "not a base64 32-byte key; restore it from backup") }
            return bytes
        }
        let stored = try database.readBlocking { try $0.scalar("SELECT count(*) FROM api_keys")?.intValue ?? 0 }
        guard stored == 0 else {
            throw KeyFile.Failure.io(
                path: path, reason: "missing, but \(stored) API keys are stored; restore the file from backup")
        }
        let key = SecureRandom.bytes(BLAKE2b.keyLength)
        try KeyFile.write(path, Array((Base64.encode(key) + "\n").utf8))
        return key
    }

    // MARK: Authentication

    /// The principal for a presented key, or nil for a malformed, unknown or revoked one.
    public func authenticate(_ presented: String) async -> Principal? {
        guard let token = APIKeyToken(parsing: presented) else { return nil }
        var entry = state.withLock { $0.entries[token.id] }
        if entry == nil {
            // Perhaps made by `baton keys create` after this process loaded its keys.
            try? await reload()
            entry = state.withLock { $0.entries[token.id] }
        }
        guard let entry, entry.record.revokedAt == nil else { return nil }
        guard ConstantTime.equals(hash(token.secret), entry.hash) else { return nil }
        let now = Timestamp.now()
        state.withLock { $0.used[token.id] = now }
        return Principal(
            keyID: entry.record.id, name: entry.record.name, role: entry.record.role, tenant: entry.record.tenant)
    }

    private func hash(_ secret: String) -> [UInt8] {
        BLAKE2b.hash(Array(secret.utf8), key: hashingKey)
    }

    // MARK: Management

    /// Makes a key; the returned token is the only time its secret exists outside the caller.
    public func create(name: String, role: Role, tenant: String) async throws -> (
        record: APIKeyRecord, token: APIKeyToken
    ) {
        let (record, token, hash) = try newKey(name: name, role: role, tenant: tenant)
        try await database.write { conn in try Self.insert(record, hash: hash, conn) }
        state.withLock { $0.entries[record.id] = Entry(record: record, hash: hash) }
        return (record, token)
    }

    /// Synchronous creation for the CLI and first start (not for async contexts).
    public func createBlocking(name: String, role: Role, tenant: String) throws -> (
        record: APIKeyRecord, token: APIKeyToken
    ) {
        let (record, token, hash) = try newKey(name: name, role: role, tenant: tenant)
        try database.writeBlocking { conn in try Self.insert(record, hash: hash, conn) }
        state.withLock { $0.entries[record.id] = Entry(record: record, hash: hash) }
        return (record, token)
    }

    private func newKey(name: String, role: Role, tenant: String) throws -> (APIKeyRecord, APIKeyToken, [UInt8]) {
        try Self.validate(name: name, tenant: tenant)
        let token = APIKeyToken.generate()
        let record = APIKeyRecord(
            id: token.id, name: name, role: role, tenant: tenant, createdAt: Timestamp.now(), revokedAt: nil,
            lastUsedAt: nil)
        return (record, token, hash(token.secret))
    }

    private static func insert(_ record: APIKeyRecord, hash: [UInt8], _ conn: Connection) throws {
        try conn.execute(
            "INSERT INTO api_keys (id, name, role, tenant, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            [
                .text(record.id), .text(record.name), .text(record.role.rawValue), .text(record.tenant), .blob(hash),
                .text(record.createdAt),
            ])
    }

    /// Creates the first admin key (of the system tenant) when no key exists at all; returns its token (to print once).
    public func bootstrapAdminIfEmpty(tenant: String = "default") throws -> APIKeyToken? {
        guard state.withLock({ $0.entries.isEmpty }) else { return nil }
        return try createBlocking(name: "bootstrap-admin", role: .admin, tenant: tenant).token
    }

    /// Keys of `tenant` (every tenant when nil), newest first.
    public func list(tenant: String?, limit: Int, offset: Int) -> (keys: [APIKeyRecord], total: Int) {
        let all = state.withLock { state in
            state.entries.values.map { entry in
                var record = entry.record
                record.lastUsedAt = state.used[record.id] ?? record.lastUsedAt
                return record
            }
        }
        .filter { tenant == nil || $0.tenant == tenant }
        .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        return (Array(all.dropFirst(offset).prefix(limit)), all.count)
    }

    /// Revokes key `id` of `tenant` (any tenant when nil). Unknown, other-tenant and already revoked
    /// keys are `notFound`; the last active admin key of a tenant cannot be revoked through the API.
    @discardableResult
    public func revoke(id: String, tenant: String?, protectLastAdmin: Bool = true) async throws -> APIKeyRecord {
        let now = Timestamp.now()
        let record = try await database.write { conn -> APIKeyRecord in
            guard
                let row = try conn.queryOne("SELECT * FROM api_keys WHERE id = ?1 AND revoked_at IS NULL", [.text(id)]),
                let record = Self.record(row), tenant == nil || record.tenant == tenant
            else { throw Failure.notFound }
            if protectLastAdmin && record.role == .admin {
                let admins =
                    try conn.scalar(
                        "SELECT count(*) FROM api_keys WHERE tenant = ?1 AND role = 'admin' AND revoked_at IS NULL",
                        [.text(record.tenant)])?.intValue ?? 0
                guard admins > 1 else { throw Failure.lastAdmin }
            }
            try conn.execute("UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2", [.text(now), .text(id)])
            var revoked = record
            revoked.revokedAt = now
            return revoked
        }
        state.withLock { $0.entries[id]?.record.revokedAt = now }
        return record
    }

    // MARK: Persistence

    /// Writes the remembered `last_used_at` times in one transaction.
    public func flushLastUsed() async throws {
        let used = state.withLock { state -> [String: String] in
            let used = state.used
            state.used = [:]
            for (id, at) in used { state.entries[id]?.record.lastUsedAt = at }
            return used
        }
        guard !used.isEmpty else { return }
        try await database.write { conn in
            for (id, at) in used {
                try conn.execute("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2", [.text(at), .text(id)])
            }
        }
    }

    /// Re-reads every key (creations and revocations by other processes).
    public func reload() async throws {
        let rows = try await database.read { try $0.query("SELECT * FROM api_keys") }
        apply(rows)
    }

    private func reloadBlocking() throws {
        apply(try database.readBlocking { try $0.query("SELECT * FROM api_keys") })
    }

    private func apply(_ rows: [Row]) {
        var entries: [String: Entry] = [:]
        for row in rows {
            guard let record = Self.record(row), let hash = row.blob("hash") else { continue }
            entries[record.id] = Entry(record: record, hash: hash)
        }
        state.withLock { $0.entries = entries }
    }

    static func record(_ row: Row) -> APIKeyRecord? {
        guard let id = row.string("id"), let name = row.string("name"), let roleText = row.string("role"),
            let role = Role(rawValue: roleText), let tenant = row.string("tenant"),
            let created = row.string("created_at")
        else { return nil }
        return APIKeyRecord(
            id: id, name: name, role: role, tenant: tenant, createdAt: created, revokedAt: row.string("revoked_at"),
            lastUsedAt: row.string("last_used_at"))
    }

    // MARK: Validation

    public static func validate(name: String, tenant: String) throws(Failure) {
        guard !name.isEmpty, name.count <= 100 else { throw .invalidName("must be 1 to 100 characters") }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalidName("must not contain control characters")
        }
        guard isValidTenant(tenant) else { throw .invalidTenant("must match [A-Za-z0-9._-]{1,64}") }
    }

    public static func isValidTenant(_ tenant: String) -> Bool {
        let utf8 = tenant.utf8
        return !utf8.isEmpty && utf8.count <= 64
            && utf8.allSatisfy { c in
                (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
            }
    }
}

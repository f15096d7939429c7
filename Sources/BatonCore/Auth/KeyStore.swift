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
/// process (the `baton keys` command) are picked up through `api_key_changes`, a counter the
/// database bumps on every change to `api_keys` (migration 0015): a request finding the last look
/// older than `changeCheckInterval` (1 s) reads it, and the keys are re-read only when it moved.
/// A revocation anywhere is therefore refused within a second. Nothing a request carries can make
/// that happen sooner or more often: an unknown key id is simply refused, never a reason to reload.
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
        /// Last use by key id, in Unix milliseconds: formatted only when shown or written, not
        /// on every request.
        var used: [String: Int64] = [:]
        /// `api_key_changes.counter` as of the snapshot `entries` came from.
        var counter: Int64 = -1
        /// When a request next reads the counter.
        var nextCheck: ContinuousClock.Instant
        /// Counter reads and key reloads since start (tests show requests cannot force them).
        var checks = 0
        var reloads = 0
    }

    public let database: Database
    private let hashingKey: [UInt8]
    private let state: Mutex<State>
    /// How long a request trusts the keys in memory before the counter is read again.
    public let changeCheckInterval: Duration

    /// `hashingKey`: 32 secret bytes (see `loadHashingKey`) that make stored hashes useless without it.
    public init(database: Database, hashingKey: [UInt8], changeCheckInterval: Duration = .seconds(1)) throws {
        precondition(hashingKey.count == BLAKE2b.keyLength, "the key hashing key must be 32 bytes")
        self.database = database
        self.hashingKey = hashingKey
        self.changeCheckInterval = changeCheckInterval
        self.state = Mutex(State(nextCheck: ContinuousClock.now + changeCheckInterval))
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
        await refreshIfDue()
        return principal(presenting: token)
    }

    /// `authenticate` without suspending: `.some` of its answer when the keys in memory are
    /// current (the change counter was looked at within `changeCheckInterval`), nil when a look
    /// is due and the caller must `authenticate` (SPEC §2.1: requests answered on the loop).
    public func authenticateFromMemory(_ presented: String) -> Principal?? {
        guard let token = APIKeyToken(parsing: presented) else { return .some(nil) }
        let now = ContinuousClock.now
        // One lock for both: whether the keys are current, and the key's stored hash.
        guard
            let found = state.withLock({ state -> Active?? in
                guard now < state.nextCheck else { return nil }
                return .some(Self.active(state.entries[token.id]))
            })
        else { return nil }
        return .some(principal(presenting: token, found))
    }

    private func principal(presenting token: APIKeyToken) -> Principal? {
        principal(presenting: token, state.withLock { Self.active($0.entries[token.id]) })
    }

    /// An active key's stored hash and principal (not the whole entry: a copy retains each field).
    private typealias Active = (hash: [UInt8], principal: Principal)

    private static func active(_ entry: Entry?) -> Active? {
        guard let entry, entry.record.revokedAt == nil else { return nil }
        let record = entry.record
        return (entry.hash, Principal(keyID: record.id, name: record.name, role: record.role, tenant: record.tenant))
    }

    private func principal(presenting token: APIKeyToken, _ active: Active?) -> Principal? {
        guard let active, ConstantTime.equals(hash(token.secret), active.hash) else { return nil }
        let now = Timestamp.nowMilliseconds()
        state.withLock { $0.used[token.id] = now }
        return active.principal
    }

    /// The principal of key `id` while it is active: what a session (SPEC §2.12) acts as, so
    /// revoking the key ends its sessions at their next request.
    public func principal(keyID id: String) async -> Principal? {
        await refreshIfDue()
        guard let entry = state.withLock({ $0.entries[id] }), entry.record.revokedAt == nil else { return nil }
        let now = Timestamp.nowMilliseconds()
        state.withLock { $0.used[id] = now }
        return Principal(
            keyID: entry.record.id, name: entry.record.name, role: entry.record.role, tenant: entry.record.tenant)
    }

    /// Reads the change counter when the last look is older than `changeCheckInterval` (one
    /// request does it; the others meanwhile use the keys in memory) and reloads when it moved.
    /// A failed read leaves the keys as they are until the next look.
    private func refreshIfDue() async {
        let due = state.withLock { state -> Bool in
            let now = ContinuousClock.now
            guard now >= state.nextCheck else { return false }
            state.nextCheck = now + changeCheckInterval
            state.checks += 1
            return true
        }
        guard due else { return }
        guard let counter = try? await database.read({ try Self.changeCounter($0) }) else { return }
        if counter != state.withLock({ $0.counter }) { try? await reload() }
    }

    /// Counter reads and reloads so far (for tests and diagnostics).
    public var refreshStatistics: (checks: Int, reloads: Int) { state.withLock { ($0.checks, $0.reloads) } }

    static func changeCounter(_ conn: Connection) throws -> Int64 {
        try conn.scalar("SELECT counter FROM api_key_changes WHERE id = 1")?.int64Value ?? 0
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
                record.lastUsedAt =
                    state.used[record.id].map { Timestamp.format(milliseconds: $0) } ?? record.lastUsedAt
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
    /// Writes the keys' last-use times. With `unlessWithinMs`, a key whose stored time is less
    /// than that much older than its latest use waits for a later flush: a worker's key used every
    /// few seconds is written once a minute, not at every flush (an idle coordinator writes
    /// nothing, SPEC §6.7). Shutdown flushes everything.
    public func flushLastUsed(unlessWithinMs: Int64 = 0) async throws {
        let used = state.withLock { state -> [String: String] in
            var due: [String: String] = [:]
            for (id, usedMs) in state.used {
                if unlessWithinMs > 0,
                    let storedMs = state.entries[id]?.record.lastUsedAt.flatMap(Timestamp.parse),
                    usedMs - storedMs < unlessWithinMs
                {
                    continue
                }
                due[id] = Timestamp.format(milliseconds: usedMs)
            }
            for (id, at) in due {
                state.used[id] = nil
                state.entries[id]?.record.lastUsedAt = at
            }
            return due
        }
        guard !used.isEmpty else { return }
        try await database.write { conn in
            for (id, at) in used {
                try conn.execute("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2", [.text(at), .text(id)])
            }
        }
    }

    /// Re-reads every key (creations and revocations by other processes) with the change
    /// counter, from one snapshot.
    public func reload() async throws {
        let (counter, rows) = try await database.read { conn in
            (try Self.changeCounter(conn), try conn.query("SELECT * FROM api_keys"))
        }
        apply(rows, counter: counter)
    }

    private func reloadBlocking() throws {
        let (counter, rows) = try database.readBlocking { conn in
            (try Self.changeCounter(conn), try conn.query("SELECT * FROM api_keys"))
        }
        apply(rows, counter: counter)
    }

    private func apply(_ rows: [Row], counter: Int64) {
        var entries: [String: Entry] = [:]
        for row in rows {
            guard let record = Self.record(row), let hash = row.blob("hash") else { continue }
            entries[record.id] = Entry(record: record, hash: hash)
        }
        state.withLock {
            // A revocation is final: a snapshot read before this process revoked a key (and
            // applied after) must not bring it back.
            for (id, entry) in $0.entries where entry.record.revokedAt != nil && entries[id]?.record.revokedAt == nil {
                entries[id]?.record.revokedAt = entry.record.revokedAt
            }
            $0.entries = entries
            $0.counter = counter
            $0.reloads += 1
        }
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
        guard !name.isEmpty, name.codePointCount <= 100 else { throw .invalidName("must be 1 to 100 characters") }
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

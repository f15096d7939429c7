import BatonCrypto
import BatonJSON
import BatonStore

/// Encrypted secrets, per tenant. Each value is sealed with XChaCha20-Poly1305 under the master key,
/// with the tenant and name as additional data, so a row copied elsewhere does not decrypt. Values
/// never leave this type except through `resolve` (at the moment of use) — not in errors, lists,
/// events or logs.
public final class SecretVault: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidName(String)
        case valueTooLarge(limit: Int)
        case notFound(String)
        case undecryptable(String)
        case badMasterKey(String)
        case notAReference(String)

        public var description: String {
            switch self {
            case .invalidName(let name):
                "invalid secret name \(JSONText.quote(name)): use [A-Za-z0-9_.-], 1 to 128 characters"
            case .valueTooLarge(let limit): "the secret value is longer than \(limit) characters"
            case .notFound(let name): "no secret named \(JSONText.quote(name))"
            case .undecryptable(let name):
                "secret \(JSONText.quote(name)) cannot be decrypted: the master key is wrong or the stored value was altered"
            case .badMasterKey(let why): "master key: \(why)"
            case .notAReference(let text): "\(JSONText.quote(String(text.prefix(40)))) is not a $secret:NAME reference"
            }
        }
    }

    public struct Listing: Sendable, Equatable {
        public var name: String
        public var updatedAt: String
    }

    /// The longest value, in characters (Unicode code points, as JSON Schema's `maxLength`
    /// counts them in the OpenAPI document).
    public static let maxValueLength = 1 << 20
    static let checkValue = Array("baton vault check".utf8)
    static let checkAD = Array("baton\u{0}vault-check".utf8)

    public let database: Database
    private let key: [UInt8]
    private let events: EventBus?

    /// Opens the vault with `masterKey`, checking it against the stored check value (and storing
    /// one when the vault is new). A wrong key fails here, before any secret is used.
    public init(database: Database, masterKey: MasterKey, events: EventBus? = nil) throws {
        self.database = database
        self.key = masterKey.bytes
        self.events = events
        let key = masterKey.bytes
        try database.writeBlocking { conn in
            if let row = try conn.queryOne("SELECT nonce, ciphertext FROM vault_check WHERE id = 1") {
                let sealed = XChaCha20Poly1305.Sealed(
                    nonce: row.blob("nonce") ?? [], ciphertext: row.blob("ciphertext") ?? [])
                guard (try? XChaCha20Poly1305.open(sealed, additionalData: Self.checkAD, key: key)) == Self.checkValue
                else {
                    throw Failure.badMasterKey("it does not open this vault (wrong BATON_MASTER_KEY or master.key)")
                }
            } else {
                try Self.storeCheck(conn, key: key)
            }
        }
    }

    static func storeCheck(_ conn: Connection, key: [UInt8]) throws {
        let sealed = try XChaCha20Poly1305.seal(checkValue, additionalData: checkAD, key: key)
        try conn.execute(
            "INSERT OR REPLACE INTO vault_check (id, nonce, ciphertext) VALUES (1, ?1, ?2)",
            [.blob(sealed.nonce), .blob(sealed.ciphertext)])
    }

    /// Whether any secret or check value is stored (then a missing master key is an error).
    public static func isInUse(_ database: Database) throws -> Bool {
        try database.readBlocking { conn in
            (try conn.scalar("SELECT (SELECT count(*) FROM secrets) + (SELECT count(*) FROM vault_check)")?.intValue
                ?? 0) > 0
        }
    }

    public static func isValidName(_ name: String) -> Bool {
        let utf8 = name.utf8
        return !utf8.isEmpty && utf8.count <= 128 && name != "." && name != ".."
            && utf8.allSatisfy { c in
                (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
            }
    }

    static func additionalData(tenant: String, name: String) -> [UInt8] {
        Array(tenant.utf8) + [0] + Array(name.utf8)
    }

    // MARK: Operations

    public func set(tenant: String, name: String, value: String) async throws {
        guard Self.isValidName(name) else { throw Failure.invalidName(name) }
        guard value.codePointCount <= Self.maxValueLength else {
            throw Failure.valueTooLarge(limit: Self.maxValueLength)
        }
        var plaintext = Array(value.utf8)
        let sealed = try XChaCha20Poly1305.seal(
            plaintext, additionalData: Self.additionalData(tenant: tenant, name: name), key: key)
        zeroize(&plaintext)
        let now = Timestamp.now()
        let event = try await database.write { conn in
            try conn.execute(
                """
                INSERT INTO secrets (tenant, name, nonce, ciphertext, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                ON CONFLICT (tenant, name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext,
                    updated_at = excluded.updated_at
                """, [.text(tenant), .text(name), .blob(sealed.nonce), .blob(sealed.ciphertext), .text(now)])
            return try EventBus.insert(Self.event(tenant: tenant, name: name, change: "set"), into: conn)
        }
        events?.didCommit([event])
    }

    public func delete(tenant: String, name: String) async throws {
        guard Self.isValidName(name) else { throw Failure.notFound(name) }
        let event = try await database.write { conn in
            try conn.execute("DELETE FROM secrets WHERE tenant = ?1 AND name = ?2", [.text(tenant), .text(name)])
            guard conn.changes == 1 else { throw Failure.notFound(name) }
            return try EventBus.insert(Self.event(tenant: tenant, name: name, change: "deleted"), into: conn)
        }
        events?.didCommit([event])
    }

    public func list(tenant: String) async throws -> [Listing] {
        try await database.read { conn in
            try conn.query("SELECT name, updated_at FROM secrets WHERE tenant = ?1 ORDER BY name", [.text(tenant)]).map
            {
                Listing(name: $0.string("name") ?? "", updatedAt: $0.string("updated_at") ?? "")
            }
        }
    }

    /// The value of `name`, decrypted now. Callers use it at once and keep it no longer than needed.
    public func value(tenant: String, name: String) async throws -> String {
        let key = self.key
        return try await database.read { conn in
            guard
                let row = try conn.queryOne(
                    "SELECT nonce, ciphertext FROM secrets WHERE tenant = ?1 AND name = ?2",
                    [.text(tenant), .text(name)])
            else { throw Failure.notFound(name) }
            return try Self.open(row, tenant: tenant, name: name, key: key)
        }
    }

    /// Turns `$secret:NAME` into the secret's value; other strings are returned unchanged.
    public func resolve(_ text: String, tenant: String) async throws -> String {
        guard text.hasPrefix("$secret:") else { return text }
        return try await value(tenant: tenant, name: String(text.dropFirst("$secret:".count)))
    }

    static func open(_ row: Row, tenant: String, name: String, key: [UInt8]) throws -> String {
        let sealed = XChaCha20Poly1305.Sealed(nonce: row.blob("nonce") ?? [], ciphertext: row.blob("ciphertext") ?? [])
        guard
            var bytes = try? XChaCha20Poly1305.open(
                sealed, additionalData: additionalData(tenant: tenant, name: name), key: key),
            let text = String(validating: bytes, as: UTF8.self)
        else { throw Failure.undecryptable(tenant == "default" ? name : "\(tenant)/\(name)") }
        zeroize(&bytes)
        return text
    }

    static func event(tenant: String, name: String, change: String) -> EventDraft {
        EventDraft(
            type: "secret.changed", tenant: tenant,
            data: JSONValue.object(["name": .string(name), "change": .string(change)]).text)
    }

    // MARK: Rotation

    /// Re-encrypts every value under `newKey` in one transaction. Any value that does not decrypt
    /// aborts the whole rotation, naming it; nothing changes then.
    public func rotate(to newKey: [UInt8]) throws -> Int {
        let oldKey = key
        return try database.writeBlocking { conn in
            let rows = try conn.query("SELECT tenant, name, nonce, ciphertext FROM secrets ORDER BY tenant, name")
            for row in rows {
                let tenant = row.string("tenant") ?? ""
                let name = row.string("name") ?? ""
                var plaintext = Array(try Self.open(row, tenant: tenant, name: name, key: oldKey).utf8)
                let sealed = try XChaCha20Poly1305.seal(
                    plaintext, additionalData: Self.additionalData(tenant: tenant, name: name), key: newKey)
                zeroize(&plaintext)
                try conn.execute(
                    "UPDATE secrets SET nonce = ?1, ciphertext = ?2 WHERE tenant = ?3 AND name = ?4",
                    [.blob(sealed.nonce), .blob(sealed.ciphertext), .text(tenant), .text(name)])
            }
            try Self.storeCheck(conn, key: newKey)
            return rows.count
        }
    }
}

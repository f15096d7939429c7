import BatonCrypto
import BatonStore
import BatonWorkerProtocol
import Synchronization

/// A dashboard session: a cookie token standing for an API key for a while (SPEC §2.12).
public struct Session: Sendable, Equatable {
    public var keyID: String
    /// Sent back in `X-CSRF-Token` with every change made through the session.
    public var csrfToken: String
    public var createdAt: String
    public var expiresMs: Int64
}

/// Sessions by the SHA-256 of their token, kept in memory and in `sessions` (so a restart keeps
/// them). The token itself is never stored.
public final class SessionStore: Sendable {
    public enum SessionError: Error, Equatable {
        /// Worker keys act for a worker process, never a person in a browser.
        case workerKey
    }

    let database: Database
    let keys: KeyStore
    private let sessions: Mutex<[String: Session]>
    private let now: @Sendable () -> Int64

    /// Longest a session lasts, whatever is asked.
    public static let maxLifetimeMs: Int64 = 7 * 86_400_000
    /// Live sessions one key may have; signing in again ends the oldest beyond it.
    public static let maxPerKey = 16

    /// Loads the live sessions; blocks, so call it at start-up. A database that cannot be read
    /// leaves none: people sign in again, nobody is let in.
    public init(database: Database, keys: KeyStore, now: @escaping @Sendable () -> Int64 = Timestamp.nowMilliseconds) {
        self.database = database
        self.keys = keys
        self.now = now
        let current = now()
        let rows =
            (try? database.readBlocking { conn in
                try conn.query(
                    "SELECT token_hash, key_id, csrf, created_at, expires_ms FROM sessions WHERE expires_ms > ?1",
                    [.integer(current)])
            }) ?? []
        var loaded: [String: Session] = [:]
        for row in rows {
            guard let hash = row.string("token_hash"), let keyID = row.string("key_id"), let csrf = row.string("csrf"),
                let created = row.string("created_at"), let expires = row.int64("expires_ms")
            else { continue }
            loaded[hash] = Session(keyID: keyID, csrfToken: csrf, createdAt: created, expiresMs: expires)
        }
        sessions = Mutex(loaded)
    }

    static func hash(_ token: String) -> String { Hex.encode(SHA256Digest.hash(Array(token.utf8))) }

    /// A new session for `principal` lasting `lifetimeMs`: its token (for the cookie) and itself.
    public func create(for principal: Principal, lifetimeMs: Int64) async throws -> (token: String, session: Session) {
        guard principal.role != .worker else { throw SessionError.workerKey }
        let token = Hex.encode(SecureRandom.bytes(32))
        let current = now()
        let session = Session(
            keyID: principal.keyID, csrfToken: Hex.encode(SecureRandom.bytes(32)),
            createdAt: Timestamp.format(milliseconds: current),
            expiresMs: current + min(max(1000, lifetimeMs), Self.maxLifetimeMs))
        let hash = Self.hash(token)
        let keep = Self.maxPerKey - 1
        let ended = try await database.write { conn -> [String] in
            // Expired sessions go whenever a new one is made: the table holds live ones only.
            try conn.execute("DELETE FROM sessions WHERE expires_ms <= ?1", [.integer(current)])
            // And a key's oldest beyond the cap, so signing in over and over cannot grow the table.
            let oldest = try conn.query(
                "SELECT token_hash FROM sessions WHERE key_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?2",
                [.text(session.keyID), .integer(Int64(keep))]
            ).compactMap { $0.string("token_hash") }
            for old in oldest { try conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [.text(old)]) }
            try conn.execute(
                "INSERT INTO sessions (token_hash, key_id, csrf, created_at, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                [
                    .text(hash), .text(session.keyID), .text(session.csrfToken), .text(session.createdAt),
                    .integer(session.expiresMs),
                ])
            return oldest
        }
        sessions.withLock { all in
            all = all.filter { $0.value.expiresMs > current }
            for old in ended { all[old] = nil }
            all[hash] = session
        }
        return (token, session)
    }

    /// The session and the principal it acts as, for a presented cookie token; nil when the
    /// token is unknown or malformed, the session expired, or its key is revoked.
    public func authenticate(_ token: String) async -> (principal: Principal, session: Session)? {
        guard token.utf8.count == 64, token.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { return nil }
        guard let session = sessions.withLock({ $0[Self.hash(token)] }), session.expiresMs > now() else { return nil }
        guard let principal = await keys.principal(keyID: session.keyID) else { return nil }
        return (principal, session)
    }

    /// Ends the session of `token` (signing out); false when there was none.
    @discardableResult
    public func end(_ token: String) async throws -> Bool {
        let hash = Self.hash(token)
        guard sessions.withLock({ $0.removeValue(forKey: hash) }) != nil else { return false }
        try await database.write { conn in
            try conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [.text(hash)])
        }
        return true
    }

    /// Live sessions (for tests and diagnostics).
    public var count: Int {
        let current = now()
        return sessions.withLock { $0.values.count { $0.expiresMs > current } }
    }
}

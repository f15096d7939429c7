import BatonCrypto
import BatonStore
import BatonTestSupport
import Synchronization
import Testing

@testable import BatonCore

@Suite struct SessionStoreTests {
    final class Clock: Sendable {
        let ms = Atomic<Int64>(1_800_000_000_000)
        var now: Int64 { ms.load(ordering: .relaxed) }
    }

    @Test func aSessionExpiresSurvivesARestartAndEndsWithItsKey() async throws {
        let directory = TemporaryDirectory(prefix: "baton-session-test")
        defer { directory.remove() }
        let database = try Database(path: directory.path + "/baton.db")
        _ = try await database.migrate(BatonMigrations.all())
        let keys = try KeyStore(database: database, hashingKey: SecureRandom.bytes(32))
        let (record, token) = try keys.createBlocking(name: "ops", role: .operator, tenant: "acme")
        let clock = Clock()
        let store = SessionStore(database: database, keys: keys, now: { clock.now })
        let principal = try #require(await keys.authenticate(token.text))
        let (cookie, session) = try await store.create(for: principal, lifetimeMs: 60_000)
        #expect(session.expiresMs == clock.now + 60_000)
        #expect(await store.authenticate(cookie)?.principal == principal)
        // Only the token's hash is stored.
        let stored = try database.readBlocking { try $0.scalar("SELECT token_hash FROM sessions")?.stringValue }
        #expect(stored != nil && stored != cookie)

        // A restart (a new store over the same file) keeps it.
        let reopened = SessionStore(database: database, keys: keys, now: { clock.now })
        #expect(await reopened.authenticate(cookie)?.session == session)

        clock.ms.add(60_000, ordering: .relaxed)
        #expect(await store.authenticate(cookie) == nil)

        let (second, _) = try await store.create(for: principal, lifetimeMs: 60_000)
        // Making it removed the expired row.
        #expect(try database.readBlocking { try $0.scalar("SELECT count(*) FROM sessions")?.intValue } == 1)
        _ = try await keys.revoke(id: record.id, tenant: "acme", protectLastAdmin: false)
        #expect(await store.authenticate(second) == nil)
        await database.close()
    }

    @Test func aKeyKeepsAtMostItsCapOfSessionsTheOldestEnding() async throws {
        let directory = TemporaryDirectory(prefix: "baton-session-test")
        defer { directory.remove() }
        let database = try Database(path: directory.path + "/baton.db")
        _ = try await database.migrate(BatonMigrations.all())
        let keys = try KeyStore(database: database, hashingKey: SecureRandom.bytes(32))
        let (_, token) = try keys.createBlocking(name: "ops", role: .viewer, tenant: "acme")
        let principal = try #require(await keys.authenticate(token.text))
        let clock = Clock()
        let store = SessionStore(database: database, keys: keys, now: { clock.now })
        var made: [String] = []
        for _ in 0..<(SessionStore.maxPerKey + 3) {
            made.append(try await store.create(for: principal, lifetimeMs: 60_000).token)
            clock.ms.add(1, ordering: .relaxed)
        }
        #expect(store.count == SessionStore.maxPerKey)
        #expect(
            try database.readBlocking { try $0.scalar("SELECT count(*) FROM sessions")?.intValue }
                == SessionStore.maxPerKey)
        for old in made.prefix(3) { #expect(await store.authenticate(old) == nil) }
        for kept in made.suffix(SessionStore.maxPerKey) { #expect(await store.authenticate(kept) != nil) }
        await database.close()
    }

    @Test func workersGetNoSessionAndLifetimesAreCapped() async throws {
        let directory = TemporaryDirectory(prefix: "baton-session-test")
        defer { directory.remove() }
        let database = try Database(path: directory.path + "/baton.db")
        _ = try await database.migrate(BatonMigrations.all())
        let keys = try KeyStore(database: database, hashingKey: SecureRandom.bytes(32))
        let store = SessionStore(database: database, keys: keys)
        let worker = Principal(keyID: "aaaaaaaa", name: "w", role: .worker, tenant: "acme")
        await #expect(throws: SessionStore.SessionError.workerKey) {
            _ = try await store.create(for: worker, lifetimeMs: 1000)
        }
        let (_, token) = try keys.createBlocking(name: "ops", role: .admin, tenant: "acme")
        let admin = try #require(await keys.authenticate(token.text))
        let (_, session) = try await store.create(for: admin, lifetimeMs: .max)
        #expect(session.expiresMs - Timestamp.nowMilliseconds() <= SessionStore.maxLifetimeMs)
        await database.close()
    }
}

import BatonCoreFixtures
import BatonStore
import BatonTestSupport
import Testing

@testable import BatonCore
@testable import BatonTemplates

@Suite struct TemplateStoreTests {
    /// Every tenant renders the default template, not only tenant `default`, for which migration
    /// 0011 stored it; the built-in copy is that migration's text, word for word.
    @Test func everyTenantHasTheDefaultTemplate() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try await offPool {
            let db = try Database.migrated(in: dir)
            defer { db.close() }
            try db.readBlocking { conn in
                let seeded = try #require(try TemplateStore.load("default", tenant: "default", from: conn))
                #expect(seeded.body == TemplateStore.builtInDefaultBody)
                #expect(try TemplateStore.load("default", tenant: "acme", from: conn) == nil)
                #expect(try TemplateStore.bodyForAttempt("default", tenant: "acme", from: conn) == seeded.body)
                #expect(try TemplateStore.bodyForAttempt("custom", tenant: "acme", from: conn) == nil)
            }
        }
    }
}

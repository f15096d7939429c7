import Testing

@testable import BatonAgent

@Suite struct RunnerCatalogTests {
    @Test func theCatalogMapsProvidersToRunners() throws {
        let catalog = RunnerCatalog(providers: [
            "scripted": ["kind": "command", "command": "cat"], "broken": ["kind": "command"],
            "claude": ["kind": "anthropic", "models": ["haiku"]], "agent": ["kind": "codex"],
            "mystery": ["kind": "carrier-pigeon"],
        ])
        #expect(catalog.runner(for: "dry-run")?.kind == "dry-run")
        #expect(catalog.runner(for: "scripted")?.kind == "command")
        #expect(catalog.runner(for: "broken") == nil)
        #expect(catalog.runner(for: "claude")?.kind == "anthropic")
        #expect(catalog.runner(for: "agent")?.kind == "codex")
        // A node does not announce what it cannot run.
        #expect(catalog.runner(for: "mystery") == nil)
        #expect(catalog.providers == ["dry-run", "agent", "claude", "scripted"])
    }
}

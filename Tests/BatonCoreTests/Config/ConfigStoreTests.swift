import BatonJSON
import BatonTestSupport
import Synchronization
import Testing

@testable import BatonCore

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ConfigStoreTests {
    @Test func everyValueNamesTheLayerItComesFrom() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try ConfigStore(
            file: ["server": ["port": 5000, "host": "0.0.0.0"], "providers": ["local": ["kind": "ollama"]]],
            environment: ["server": ["port": 6000]], overlayPath: dir.path + "/overlay.json")
        try store.replaceOverlay(["agent": ["max_turns": 7]])
        let sources = store.sources()
        #expect(sources["server.port"] == .environment)
        #expect(sources["server.host"] == .file)
        #expect(sources["providers.local.kind"] == .file)
        #expect(sources["agent.max_turns"] == .overlay)
        #expect(sources["server.max_body_bytes"] == .default)
        #expect(sources["tracker.active_states"] == .default)
        // One source for every value the effective configuration shows.
        func leaves(_ value: JSONValue) -> Int {
            guard case .object(let fields) = value, !fields.isEmpty else { return 1 }
            return fields.values.map(leaves).reduce(0, +)
        }
        #expect(sources.count == leaves(store.effective))
    }

    @Test func layersApplyInOrder() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try ConfigStore(
            file: ["server": ["port": 5000, "host": "0.0.0.0"]], environment: ["server": ["port": 6000]],
            overlayPath: dir.path + "/overlay.json")
        #expect(store.value("server.port") == 6000)
        #expect(store.value("server.host") == "0.0.0.0")
        try store.replaceOverlay(["server": ["port": 7000]])
        #expect(store.value("server.port") == 7000)
        #expect(store.value("server.max_body_bytes") == 1_048_576)
    }

    @Test func theOverlaySurvivesReopeningAndChangesAreAnnounced() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/overlay.json"
        let store = try ConfigStore(overlayPath: path)
        let seen = Mutex<[JSONValue]>([])
        store.onChange { effective in seen.withLock { $0.append(effective) } }
        let changed = try store.replaceOverlay(["agent": ["max_turns": 30, "model": "$secret:x"]])
        #expect(changed == ["agent.max_turns", "agent.model"])
        #expect(seen.withLock { $0.count } == 1)
        let reopened = try ConfigStore(overlayPath: path)
        #expect(reopened.value("agent.max_turns") == 30)
        #expect(try store.deleteOverlay(path: "agent.max_turns") == ["agent.max_turns"])
        #expect(try store.deleteOverlay(path: "agent.model") == ["agent.model"])
        #expect(store.overlay == [:])
        #expect(try ConfigStore(overlayPath: path).overlay == [:])
        // No temporary files are left behind.
        #expect(try listDirectory(dir.path) == ["overlay.json"])
    }

    @Test func anInvalidOverlayChangesNothing() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/overlay.json"
        let store = try ConfigStore(overlayPath: path)
        try store.replaceOverlay(["agent": ["max_turns": 30]])
        let before = try KeyFile.read(path)
        for bad: JSONValue in [
            ["agent": ["max_turns": "30"]], ["what": 1], ["server": ["port": 70000]], "text", [1, 2],
        ] {
            #expect(throws: ConfigStore.Invalid.self) { try store.replaceOverlay(bad) }
        }
        #expect(try KeyFile.read(path) == before)
        #expect(store.value("agent.max_turns") == 30)
    }

    @Test(arguments: [
        "", "a..b", ".a", "a.", "__proto__", "agent.__proto__", "a b", "a/b", String(repeating: "a.", count: 300) + "a",
    ])
    func malformedPathsAreRefused(path: String) throws {
        #expect(throws: ConfigStore.PathError.malformed(path)) { try ConfigStore.parse(path) }
    }

    @Test func deletingAnAbsentPathSaysSo() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try ConfigStore(overlayPath: dir.path + "/overlay.json")
        #expect(throws: ConfigStore.PathError.absent("agent.max_turns")) {
            try store.deleteOverlay(path: "agent.max_turns")
        }
    }

    @Test func invalidLayersAreRefusedAtStart() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        #expect(throws: ConfigStore.Invalid.self) {
            try ConfigStore(file: ["server": ["port": "x"]], overlayPath: dir.path + "/o.json")
        }
        try KeyFile.write(dir.path + "/bad.json", Array(#"{"agent":{"max_turns":-1}}"#.utf8))
        #expect(throws: ConfigStore.Invalid.self) { try ConfigStore(overlayPath: dir.path + "/bad.json") }
    }
}

func listDirectory(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

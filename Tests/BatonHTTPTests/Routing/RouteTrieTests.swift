import Testing

@testable import BatonHTTP

@Suite struct RouteTrieTests {
    static func trie(_ patterns: [String]) -> RouteTrie<String> {
        var trie = RouteTrie<String>()
        for p in patterns {
            let inserted = trie.insert(pattern: p, key: "GET", value: p)
            #expect(inserted)
        }
        return trie
    }

    static let api = [
        "/health", "/api/v1/state", "/api/v1/:id", "/api/v1/:id/steer", "/api/v1/attempts/:aid",
        "/api/v1/config/overlay/:path", "/files/*", "/",
    ]

    @Test func staticBeatsParameter() {
        let trie = Self.trie(Self.api)
        #expect(trie.match(path: "/api/v1/state")?.pattern == "/api/v1/state")
        #expect(trie.match(path: "/api/v1/state")?.parameters == [:])
        let issue = trie.match(path: "/api/v1/ENG-123")
        #expect(issue?.pattern == "/api/v1/:id")
        #expect(issue?.parameters == ["id": "ENG-123"])
    }

    @Test func backtracksFromAStaticBranchThatFailsLater() {
        let trie = Self.trie(Self.api)
        // "attempts" is static, but /api/v1/attempts/steer only exists as /:id/steer.
        let m = trie.match(path: "/api/v1/attempts/steer")
        #expect(m?.pattern == "/api/v1/attempts/:aid")
        let steer = trie.match(path: "/api/v1/state/steer")
        #expect(steer?.pattern == "/api/v1/:id/steer")
        #expect(steer?.parameters == ["id": "state"])
    }

    @Test func wildcardTakesTheRest() {
        let trie = Self.trie(Self.api)
        let m = trie.match(path: "/files/a/b%20c/d.txt")
        #expect(m?.pattern == "/files/*")
        #expect(m?.parameters["*"] == "a/b c/d.txt")
        #expect(trie.match(path: "/files") == nil)
    }

    @Test func parametersArePercentDecodedAndDottedPathsStayWhole() {
        let trie = Self.trie(Self.api)
        #expect(trie.match(path: "/api/v1/ENG%2D1")?.parameters["id"] == "ENG-1")
        #expect(trie.match(path: "/api/v1/config/overlay/agent.max_turns")?.parameters["path"] == "agent.max_turns")
    }

    @Test func trailingSlashesAndEmptySegmentsDoNotMatch() {
        let trie = Self.trie(Self.api)
        #expect(trie.match(path: "/health/") == nil)
        #expect(trie.match(path: "//health") == nil)
        #expect(trie.match(path: "/api/v1//steer") == nil)
        #expect(trie.match(path: "/")?.pattern == "/")
        #expect(trie.match(path: "/nothing") == nil)
    }

    @Test func duplicateInsertIsRefused() {
        var trie = RouteTrie<String>()
        let first = trie.insert(pattern: "/a/:x", key: "GET", value: "1")
        let again = trie.insert(pattern: "/a/:x", key: "GET", value: "2")
        let otherMethod = trie.insert(pattern: "/a/:x", key: "POST", value: "3")
        #expect(first && !again && otherMethod)
    }

    @Test func veryLongPathsFailQuickly() {
        let trie = Self.trie(Self.api)
        let long = "/" + Array(repeating: "a", count: 5000).joined(separator: "/")
        #expect(trie.match(path: long) == nil)
    }

    @Test func staticSegmentsMatchAfterPercentDecoding() {
        let trie = Self.trie(Self.api)
        // An escaped spelling of a static path is still that path, never an issue id.
        #expect(trie.match(path: "/api/v1/st%61te")?.pattern == "/api/v1/state")
        #expect(trie.match(path: "/api/v1/%41%42C")?.parameters == ["id": "ABC"])
        // An escaped slash stays inside its segment.
        let slash = trie.match(path: "/api/v1/config/overlay/a%2Fb")
        #expect(slash?.pattern == "/api/v1/config/overlay/:path")
        #expect(slash?.parameters["path"] == "a/b")
        // Invalid escapes are kept literally.
        #expect(trie.match(path: "/api/v1/50%25%zz")?.parameters["id"] == "50%%zz")
    }

    @Test func onlyOriginFormPathsMatch() {
        let trie = Self.trie(Self.api)
        #expect(trie.match(path: "*") == nil)
        #expect(trie.match(path: "") == nil)
        #expect(trie.match(path: "health") == nil)
    }

    @Test func wildcardNeedsNonEmptySegmentsAndLosesToStaticAndParameter() {
        let trie = Self.trie(["/w/*", "/w/static", "/w/:p/x"])
        #expect(trie.match(path: "/w/static")?.pattern == "/w/static")
        #expect(trie.match(path: "/w/a/x")?.parameters == ["p": "a"])
        // /w/a/y fails under :p, so the wildcard takes it, without the parameter left behind.
        #expect(trie.match(path: "/w/a/y")?.parameters == ["*": "a/y"])
        #expect(trie.match(path: "/w/static/more")?.pattern == "/w/*")
        #expect(trie.match(path: "/w/a//b") == nil)
        #expect(trie.match(path: "/w/a/") == nil)
        #expect(trie.match(path: "/w/") == nil)
    }

    @Test func patternsAreCanonicalWhateverTheSpelling() {
        var trie = RouteTrie<String>()
        _ = trie.insert(pattern: "/a//b/", key: "GET", value: "x")
        #expect(trie.match(path: "/a/b")?.pattern == "/a/b")
    }

    @Test func veryLongPathsMatchWildcardsAndDeepPatterns() {
        let trie = Self.trie(Self.api)
        let parts = (0..<5000).map { "s\($0)" }
        let long = trie.match(path: "/files/" + parts.joined(separator: "/"))
        #expect(long?.parameters["*"] == parts.joined(separator: "/"))
        let deep = "/" + (0..<200).map { ":p\($0)" }.joined(separator: "/")
        let deepTrie = Self.trie([deep])
        let m = deepTrie.match(path: "/" + (0..<200).map { "v\($0)" }.joined(separator: "/"))
        #expect(m?.parameters.count == 200)
        #expect(m?.parameters["p199"] == "v199")
        #expect(deepTrie.match(path: "/" + (0..<201).map { "v\($0)" }.joined(separator: "/")) == nil)
    }
}

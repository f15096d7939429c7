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
}

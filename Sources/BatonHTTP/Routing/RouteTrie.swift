/// A trie of path segments. Static segments are tried first, then a `:param`, then a `*` that takes
/// the rest of the path; when a branch fails further down the next kind is tried, so
/// `/api/v1/state` is never an issue id while `/api/v1/ENG-1/steer` still reaches `/:id/steer`.
struct RouteTrie<Value: Sendable>: Sendable {
    struct Node: Sendable {
        var statics: [String: Node] = [:]
        /// At most one parameter edge per node (its name fixed by the first registration).
        var param: [ParamEdge] = []
        var wildcard: Wildcard?
        /// Values by key (the HTTP method) for routes that end here.
        var values: [String: Value] = [:]
        /// The pattern that ends here, kept at insertion so matching never rebuilds it.
        var pattern = "/"
    }

    struct ParamEdge: Sendable {
        var name: String
        var node: Node
    }

    struct Wildcard: Sendable {
        var name: String
        var pattern: String
        var values: [String: Value]
    }

    struct Match {
        var values: [String: Value]
        var pattern: String
        var parameters: [String: String]
    }

    enum Segment: Equatable {
        case literal(String)
        case param(String)
        case wildcard(String)
    }

    private(set) var root = Node()

    static func segments(of pattern: String) -> [Segment] {
        pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part.hasPrefix(":") { return .param(String(part.dropFirst())) }
            if part.hasPrefix("*") { return .wildcard(part.count > 1 ? String(part.dropFirst()) : "*") }
            return .literal(String(part))
        }
    }

    static func canonical(_ segments: some Collection<Segment>) -> String {
        "/"
            + segments.map { segment in
                switch segment {
                case .literal(let text): text
                case .param(let name): ":" + name
                case .wildcard(let name): name == "*" ? "*" : "*" + name
                }
            }.joined(separator: "/")
    }

    /// Adds `value` for `key` at `pattern`; returns false when that key is already there.
    mutating func insert(pattern: String, key: String, value: Value) -> Bool {
        let segments = Self.segments(of: pattern)
        return Self.insert(
            into: &root, segments[...], pattern: Self.canonical(segments), key: key, value: value)
    }

    private static func insert(
        into node: inout Node, _ rest: ArraySlice<Segment>, pattern: String, key: String, value: Value
    ) -> Bool {
        guard let first = rest.first else {
            if node.values[key] != nil { return false }
            node.values[key] = value
            node.pattern = pattern
            return true
        }
        let tail = rest.dropFirst()
        switch first {
        case .literal(let text):
            var child = node.statics[text] ?? Node()
            let ok = insert(into: &child, tail, pattern: pattern, key: key, value: value)
            node.statics[text] = child
            return ok
        case .param(let name):
            precondition(!name.isEmpty, "route \(pattern): a parameter needs a name")
            if node.param.isEmpty { node.param = [ParamEdge(name: name, node: Node())] }
            precondition(
                node.param[0].name == name, "route \(pattern): parameter :\(name) conflicts with :\(node.param[0].name)"
            )
            return insert(into: &node.param[0].node, tail, pattern: pattern, key: key, value: value)
        case .wildcard(let name):
            precondition(tail.isEmpty, "route \(pattern): * must be the last segment")
            var wildcard = node.wildcard ?? Wildcard(name: name, pattern: pattern, values: [:])
            precondition(wildcard.name == name, "route \(pattern): *\(name) conflicts with *\(wildcard.name)")
            if wildcard.values[key] != nil { return false }
            wildcard.values[key] = value
            node.wildcard = wildcard
            return true
        }
    }

    /// Matches an origin-form path (`/a/b`). Anything else (`*`, an empty path) matches nothing.
    /// A trailing slash leaves an empty last segment, and nothing matches an empty segment.
    func match(path: String) -> Match? {
        guard path.utf8.first == UInt8(ascii: "/") else { return nil }
        let rest = path.dropFirst()
        var parameters: [String: String] = [:]
        // "/" is the root: no segments at all.
        guard let (values, pattern) = Self.match(root, rest.isEmpty ? nil : rest, &parameters) else { return nil }
        return Match(values: values, pattern: pattern, parameters: parameters)
    }

    /// `rest` is the unmatched remainder of the path after a "/", nil once every segment is used.
    /// Recursion depth is bounded by the deepest registered pattern, not by the request's path.
    private static func match(
        _ node: Node, _ rest: Substring?, _ parameters: inout [String: String]
    ) -> (values: [String: Value], pattern: String)? {
        guard let rest else { return node.values.isEmpty ? nil : (node.values, node.pattern) }
        let slash = rest.utf8.firstIndex(of: UInt8(ascii: "/"))
        let segment = slash.map { rest[..<$0] } ?? rest
        if segment.isEmpty { return nil }
        let tail = slash.map { rest[rest.index(after: $0)...] }
        // Statics compare decoded too, so `/api/v1/st%61te` is the state route, not issue "state".
        let escaped = segment.utf8.contains(UInt8(ascii: "%"))
        let text = escaped ? PercentDecoding.decode(segment) : String(segment)
        if let child = node.statics[text], let found = match(child, tail, &parameters) { return found }
        if let edge = node.param.first {
            let saved = parameters[edge.name]
            parameters[edge.name] = text
            if let found = match(edge.node, tail, &parameters) { return found }
            parameters[edge.name] = saved
        }
        if let wildcard = node.wildcard, !wildcard.values.isEmpty, !hasEmptySegment(rest) {
            parameters[wildcard.name] =
                rest.utf8.contains(UInt8(ascii: "%")) ? PercentDecoding.decode(rest) : String(rest)
            return (wildcard.values, wildcard.pattern)
        }
        return nil
    }

    /// `rest` starts with a non-empty segment here, so an empty one shows as "//" or a final "/".
    private static func hasEmptySegment(_ rest: Substring) -> Bool {
        var previousWasSlash = false
        for byte in rest.utf8 {
            let isSlash = byte == UInt8(ascii: "/")
            if isSlash && previousWasSlash { return true }
            previousWasSlash = isSlash
        }
        return previousWasSlash
    }
}

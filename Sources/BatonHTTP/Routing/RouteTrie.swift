/// A trie of path segments. Static segments are tried first, then a `:param`, then a `*` that takes
/// the rest of the path; when a branch fails further down the next kind is tried, so
/// `/api/v1/state` is never an issue id while `/api/v1/ENG-1/steer` still reaches `/:id/steer`.
struct RouteTrie<Value: Sendable>: Sendable {
    struct Node: Sendable {
        var statics: [String: Node] = [:]
        /// At most one parameter edge per node (its name fixed by the first registration).
        var param: [ParamEdge] = []
        var wildcard: (name: String, values: [String: Value])?
        /// Values by key (the HTTP method) for routes that end here.
        var values: [String: Value] = [:]
    }

    struct ParamEdge: Sendable {
        var name: String
        var node: Node
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

    /// Adds `value` for `key` at `pattern`; returns false when that key is already there.
    mutating func insert(pattern: String, key: String, value: Value) -> Bool {
        Self.insert(into: &root, Self.segments(of: pattern)[...], pattern: pattern, key: key, value: value)
    }

    private static func insert(
        into node: inout Node, _ rest: ArraySlice<Segment>, pattern: String, key: String, value: Value
    ) -> Bool {
        guard let first = rest.first else {
            if node.values[key] != nil { return false }
            node.values[key] = value
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
            if node.param.isEmpty { node.param = [ParamEdge(name: name, node: Node())] }
            precondition(
                node.param[0].name == name, "route \(pattern): parameter :\(name) conflicts with :\(node.param[0].name)"
            )
            return insert(into: &node.param[0].node, tail, pattern: pattern, key: key, value: value)
        case .wildcard(let name):
            precondition(tail.isEmpty, "route \(pattern): * must be the last segment")
            var wildcard = node.wildcard ?? (name, [:])
            if wildcard.values[key] != nil { return false }
            wildcard.values[key] = value
            node.wildcard = wildcard
            return true
        }
    }

    func match(path: String) -> Match? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        // "/" is the root; a trailing slash leaves an empty last segment that nothing matches.
        let parts = (segments.count == 1 && segments.first == "") ? [] : Array(segments)
        var parameters: [String: String] = [:]
        var pattern: [String] = []
        guard let values = Self.match(root, parts[...], &parameters, &pattern) else { return nil }
        return Match(values: values, pattern: "/" + pattern.joined(separator: "/"), parameters: parameters)
    }

    private static func match(
        _ node: Node, _ rest: ArraySlice<Substring>, _ parameters: inout [String: String], _ pattern: inout [String]
    ) -> [String: Value]? {
        guard let first = rest.first else { return node.values.isEmpty ? nil : node.values }
        if first.isEmpty { return nil }
        let tail = rest.dropFirst()
        if let child = node.statics[String(first)] {
            pattern.append(String(first))
            if let found = match(child, tail, &parameters, &pattern) { return found }
            pattern.removeLast()
        }
        if let edge = node.param.first {
            pattern.append(":" + edge.name)
            let saved = parameters[edge.name]
            parameters[edge.name] = PercentDecoding.decode(first)
            if let found = match(edge.node, tail, &parameters, &pattern) { return found }
            parameters[edge.name] = saved
            pattern.removeLast()
        }
        if let wildcard = node.wildcard, !rest.contains(where: { $0.isEmpty }) {
            pattern.append(wildcard.name == "*" ? "*" : "*" + wildcard.name)
            parameters[wildcard.name] = rest.map { PercentDecoding.decode($0) }.joined(separator: "/")
            return wildcard.values
        }
        return nil
    }
}

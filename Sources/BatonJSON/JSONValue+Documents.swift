/// A JSON document as a tree of keys: layering, lookup by path and the paths of its leaves (the
/// configuration layers and the overlay API use them).
extension JSONValue {
    /// `other` laid over `self`: objects merge key by key, anything else is replaced.
    public func merged(with other: JSONValue) -> JSONValue {
        guard case .object(var base) = self, case .object(let top) = other else { return other }
        for (key, value) in top { base[key] = (base[key] ?? .null).merged(with: value) }
        return .object(base)
    }

    public func value(at path: [String]) -> JSONValue? {
        var current = self
        for segment in path {
            guard let next = current[segment] else { return nil }
            current = next
        }
        return current
    }

    /// Every leaf path (`a.b.c`) of an object document, for change notices.
    public var leafPaths: [String] {
        guard case .object(let fields) = self, !fields.isEmpty else { return [] }
        return fields.keys.sorted().flatMap { key -> [String] in
            let inner = fields[key]!.leafPaths
            return inner.isEmpty ? [key] : inner.map { key + "." + $0 }
        }
    }
}

import BatonJSON

#if canImport(Glibc)
    import Glibc
#endif

/// `BATON_SECTION__KEY=value` environment variables as a config layer. Only names with a double
/// underscore are config (so `BATON_MASTER_KEY` is not); values are coerced by the schema's type.
public enum ConfigEnvironment {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var variable: String
        public var reason: String
        public var description: String { "\(variable): \(reason)" }
    }

    /// The process's variables.
    public static func current() -> [String: String] {
        var out: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            pointer += 1
        }
        return out
    }

    public static func layer(from variables: [String: String]) throws(Failure) -> JSONValue {
        var layer: JSONValue = [:]
        for (name, text) in variables.sorted(by: { $0.key < $1.key })
        where name.hasPrefix("BATON_") && name.contains("__") {
            let path = name.dropFirst("BATON_".count).components(separatedBy: "__").map { $0.lowercased() }
            guard !path.contains(where: \.isEmpty), let schema = ConfigSchema.schema(at: path) else {
                throw Failure(variable: name, reason: "names no configuration key")
            }
            let value = try coerce(text, to: schema["type"]?.stringValue ?? "string", variable: name)
            layer = layer.merged(with: path.reversed().reduce(value) { inner, key in .object([key: inner]) })
        }
        return layer
    }

    static func coerce(_ text: String, to type: String, variable: String) throws(Failure) -> JSONValue {
        switch type {
        case "integer":
            guard let n = Int64(text) else {
                throw Failure(variable: variable, reason: "expected an integer, got '\(text)'")
            }
            return .int(n)
        case "number":
            guard let d = Double(text), d.isFinite else {
                throw Failure(variable: variable, reason: "expected a number, got '\(text)'")
            }
            return .double(d)
        case "boolean":
            switch text.lowercased() {
            case "true", "1", "yes": return .bool(true)
            case "false", "0", "no": return .bool(false)
            default: throw Failure(variable: variable, reason: "expected true or false, got '\(text)'")
            }
        case "array", "object":
            guard let value = try? JSONParser.parse(text) else {
                throw Failure(variable: variable, reason: "expected a JSON \(type)")
            }
            return value
        default:
            return .string(text)
        }
    }
}

extension Substring {
    fileprivate func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = self
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}

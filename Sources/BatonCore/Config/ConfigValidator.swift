import BatonJSON
import BatonPlatform

/// One reason a document does not fit the schema, located by JSON pointer (RFC 6901).
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    public var pointer: String
    public var message: String
    public var description: String { "\(pointer.isEmpty ? "/" : pointer): \(message)" }
}

/// Checks a document against the subset of JSON Schema that `ConfigSchema` uses, reporting every
/// problem rather than the first.
public enum ConfigValidator {
    public static func validate(_ value: JSONValue, against schema: JSONValue = ConfigSchema.schema) -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        check(value, schema, pointer: "", into: &issues)
        return issues
    }

    static func escape(_ segment: String) -> String {
        segment.replacingAll("~", with: "~0").replacingAll("/", with: "~1")
    }

    private static func check(
        _ value: JSONValue, _ schema: JSONValue, pointer: String, into issues: inout [ConfigIssue]
    ) {
        func fail(_ message: String) { issues.append(ConfigIssue(pointer: pointer, message: message)) }
        if let type = schema["type"]?.stringValue, !matches(value, type: type) {
            fail("expected \(type == "integer" ? "an integer" : "a \(type)"), got \(value.typeName)")
            return
        }
        if let choices = schema["enum"]?.arrayValue, !choices.contains(value) {
            fail("must be one of \(choices.map(\.text).joined(separator: ", "))")
        }
        if let minimum = schema["minimum"]?.doubleValue, let n = value.doubleValue, n < minimum {
            fail("must be at least \(schema["minimum"]!.text)")
        }
        if let maximum = schema["maximum"]?.doubleValue, let n = value.doubleValue, n > maximum {
            fail("must be at most \(schema["maximum"]!.text)")
        }
        if case .string(let s) = value, schema["x-secret"] == .bool(true), !SecretReference.isValid(s) {
            // The value itself is never repeated back.
            fail("must be a $secret:NAME reference, not a secret value; store the value with POST /api/v1/secrets/NAME")
        }
        if case .string(let s) = value, let max = schema["maxLength"]?.intValue, s.utf8.count > max {
            fail("must be at most \(max) bytes")
        }
        if case .array(let items) = value {
            if let max = schema["maxItems"]?.intValue, items.count > max { fail("must have at most \(max) items") }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() {
                    check(item, itemSchema, pointer: pointer + "/\(i)", into: &issues)
                }
            }
        }
        if case .object(let fields) = value, schema["x-env-names"] == .bool(true) {
            for name in fields.keys.sorted() where !name.isEnvironmentVariableName {
                issues.append(
                    ConfigIssue(
                        pointer: pointer + "/" + escape(name),
                        message:
                            "must be an environment variable name (letters, digits and _, not starting with a digit)"))
            }
            for name in fields.keys.sorted() {
                if case .string(let text) = fields[name]!, text.hasPrefix("$secret:"), !SecretReference.isValid(text) {
                    issues.append(
                        ConfigIssue(
                            pointer: pointer + "/" + escape(name), message: "is not a valid $secret:NAME reference"))
                }
            }
        }
        if case .object(let fields) = value {
            let properties = schema["properties"]?.objectValue ?? [:]
            for name in fields.keys.sorted() {
                let child = pointer + "/" + escape(name)
                if let property = properties[name] {
                    check(fields[name]!, property, pointer: child, into: &issues)
                } else if let additional = schema["additionalProperties"], additional.objectValue != nil {
                    check(fields[name]!, additional, pointer: child, into: &issues)
                } else if schema["additionalProperties"] == .bool(false) {
                    issues.append(ConfigIssue(pointer: child, message: "unknown key"))
                }
            }
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("integer", .int): true
        case ("number", .int), ("number", .double): true
        case ("integer", .double(let d)): d.rounded() == d && abs(d) < 9e15
        default: false
        }
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

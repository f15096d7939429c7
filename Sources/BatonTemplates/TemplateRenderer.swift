import BatonCore
import BatonJSON
import BatonPlatform

/// Variables in force while rendering: the caller's, then loop variables over them.
struct TemplateScope {
    var globals: [String: JSONValue]
    var locals: [[String: JSONValue]] = []

    func lookup(_ name: String) -> JSONValue? {
        for frame in locals.reversed() { if let value = frame[name] { return value } }
        return globals[name]
    }
}

/// What one render has spent of its `TemplateLimits`: loop iterations, and the time, read
/// before each node.
struct TemplateBudget {
    let limits: TemplateLimits
    let deadline: ContinuousClock.Instant
    var iterations = 0

    init(_ limits: TemplateLimits) {
        self.limits = limits
        deadline = ContinuousClock.now + .milliseconds(limits.maxRenderMs)
    }

    func checkTime(at: SourcePosition) throws(TemplateError) {
        guard ContinuousClock.now < deadline else {
            throw at.exceeded(
                "max_render_ms", "rendering takes longer than templates.max_render_ms (\(limits.maxRenderMs) ms)")
        }
    }

    mutating func countIteration(at: SourcePosition) throws(TemplateError) {
        iterations += 1
        guard iterations <= limits.maxLoopIterations else {
            throw at.exceeded(
                "max_loop_iterations",
                "loops run more than templates.max_loop_iterations (\(limits.maxLoopIterations)) times in all")
        }
    }

    func checkSize(_ bytes: Int, at: SourcePosition) throws(TemplateError) {
        guard bytes <= limits.maxOutputBytes else {
            throw at.exceeded(
                "max_output_bytes", "the output exceeds templates.max_output_bytes (\(limits.maxOutputBytes) bytes)")
        }
    }
}

enum TemplateRenderer {
    static func render(
        _ nodes: [TemplateNode], scope: inout TemplateScope, budget: inout TemplateBudget, into out: inout String
    ) throws(TemplateError) {
        for node in nodes {
            switch node {
            case .text(let text, let at):
                try budget.checkTime(at: at)
                out += text
                try budget.checkSize(out.utf8.count, at: at)
            case .output(let expression, let filters, let at):
                try budget.checkTime(at: at)
                var value = try evaluate(expression, scope)
                for filter in filters { value = try apply(filter, to: value, scope, budget) }
                out += text(of: value)
                try budget.checkSize(out.utf8.count, at: at)
            case .branches(let branches, let otherwise, let at):
                try budget.checkTime(at: at)
                var taken = false
                for (condition, body) in branches where try holds(condition, scope) {
                    try render(body, scope: &scope, budget: &budget, into: &out)
                    taken = true
                    break
                }
                if !taken { try render(otherwise, scope: &scope, budget: &budget, into: &out) }
            case .loop(let variable, let over, let body, let otherwise, let at):
                try budget.checkTime(at: at)
                let items: [JSONValue]
                switch try evaluate(over, scope) {
                case .array(let array): items = array
                case .null: items = []
                case let other:
                    throw position(of: over).error("a for loop needs a list, not \(described(other))")
                }
                if items.isEmpty {
                    try render(otherwise, scope: &scope, budget: &budget, into: &out)
                    continue
                }
                for (n, item) in items.enumerated() {
                    try budget.countIteration(at: at)
                    try budget.checkTime(at: at)
                    let forloop: JSONValue = [
                        "index": .int(Int64(n + 1)), "index0": .int(Int64(n)), "first": .bool(n == 0),
                        "last": .bool(n == items.count - 1), "length": .int(Int64(items.count)),
                    ]
                    scope.locals.append([variable: item, "forloop": forloop])
                    defer { scope.locals.removeLast() }
                    try render(body, scope: &scope, budget: &budget, into: &out)
                }
            }
        }
    }

    static func position(of expression: TemplateExpression) -> SourcePosition {
        if case .path(let path) = expression, let first = path.first { return first.at }
        return SourcePosition(line: 1, column: 1)
    }

    static func evaluate(_ expression: TemplateExpression, _ scope: TemplateScope) throws(TemplateError) -> JSONValue {
        switch expression {
        case .literal(let value):
            return value
        case .path(let path):
            guard var value = scope.lookup(path[0].name) else {
                throw path[0].at.error("unknown variable \"\(path[0].name)\"")
            }
            var name = path[0].name
            for (field, at) in path.dropFirst() {
                value = try member(field, of: value, named: name, at: at)
                name += "." + field
            }
            return value
        }
    }

    /// A field of an object (strict: it must exist), an array's index, or `size`/`first`/`last`.
    static func member(_ field: String, of value: JSONValue, named name: String, at: SourcePosition)
        throws(TemplateError) -> JSONValue
    {
        switch value {
        case .object(let fields):
            if let found = fields[field] { return found }
            if field == "size" { return .int(Int64(fields.count)) }
            throw at.error("unknown variable \"\(name).\(field)\"")
        case .array(let items):
            switch field {
            case "size": return .int(Int64(items.count))
            case "first": return items.first ?? .null
            case "last": return items.last ?? .null
            default:
                if let n = Int(field) { return n >= 0 && n < items.count ? items[n] : .null }
                throw at.error("\"\(name)\" is a list: use .size, .first, .last or an index, not .\(field)")
            }
        case .string(let s) where field == "size":
            return .int(Int64(s.count))
        case .null:
            // A missing value's fields are missing too, without an error (as for an optional object).
            return .null
        default:
            throw at.error("\"\(name)\" is \(described(value)) and has no field \"\(field)\"")
        }
    }

    static func holds(_ condition: TemplateCondition, _ scope: TemplateScope) throws(TemplateError) -> Bool {
        switch condition {
        case .truthy(let expression):
            return truthy(try evaluate(expression, scope))
        case .chain(let first, let rest):
            // Left to right, short-circuiting: `and` reads the next one only while true, `or`
            // only while false.
            var result = try holds(first, scope)
            for (isAnd, next) in rest where isAnd == result { result = try holds(next, scope) }
            return result
        case .compare(let a, let op, let b, let at):
            let x = try evaluate(a, scope)
            let y = try evaluate(b, scope)
            switch op {
            case "==": return same(x, y)
            case "!=": return !same(x, y)
            case "contains":
                switch x {
                case .string(let s): return s.contains(text(of: y))
                case .array(let items): return items.contains { same($0, y) }
                default: return false
                }
            default:
                if let p = number(x), let q = number(y) {
                    return op == "<" ? p < q : op == ">" ? p > q : op == "<=" ? p <= q : p >= q
                }
                if case .string(let p) = x, case .string(let q) = y {
                    return op == "<" ? p < q : op == ">" ? p > q : op == "<=" ? p <= q : p >= q
                }
                throw at.error("\"\(op)\" compares two numbers or two strings, not \(described(x)) and \(described(y))")
            }
        }
    }

    static func described(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .array, .int, .object: "an \(value.typeName)"
        default: "a \(value.typeName)"
        }
    }

    /// Liquid's rule: only false and nil are false.
    static func truthy(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool(false): false
        default: true
        }
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let n): Double(n)
        case .double(let d): d
        default: nil
        }
    }

    /// A number as a count of characters, clamped to ±2^53 (no string is longer) and NaN as 0.
    static func length(_ d: Double) -> Int {
        guard !d.isNaN else { return 0 }
        return Int(min(max(d.rounded(.towardZero), -9_007_199_254_740_992), 9_007_199_254_740_992))
    }

    static func same(_ x: JSONValue, _ y: JSONValue) -> Bool {
        if let p = number(x), let q = number(y) { return p == q }
        return x == y
    }

    static func text(of value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .int(let n): String(n)
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) + ".0" : String(d)
        case .array(let items): items.map(text(of:)).joined()
        case .object, .verbatim: value.text
        }
    }

    /// A filter's result, refused once it is larger than the output may be (so a chain of filters
    /// cannot build a value far beyond the limit before it reaches the output).
    static func apply(
        _ filter: TemplateFilter, to value: JSONValue, _ scope: TemplateScope, _ budget: TemplateBudget
    ) throws(TemplateError) -> JSONValue {
        let result = try filtered(value, by: filter, scope, budget)
        if case .string(let s) = result { try budget.checkSize(s.utf8.count, at: filter.at) }
        return result
    }

    static func filtered(
        _ value: JSONValue, by filter: TemplateFilter, _ scope: TemplateScope, _ budget: TemplateBudget
    ) throws(TemplateError) -> JSONValue {
        var arguments: [JSONValue] = []
        for argument in filter.arguments { arguments.append(try evaluate(argument, scope)) }
        let string = text(of: value)
        switch filter.name {
        case "default":
            switch value {
            case .null, .bool(false): return arguments[0]
            case .string(let s) where s.isEmpty: return arguments[0]
            case .array(let a) where a.isEmpty: return arguments[0]
            default: return value
            }
        case "upcase": return .string(string.uppercased())
        case "downcase": return .string(string.lowercased())
        case "capitalize": return .string(string.prefix(1).uppercased() + string.dropFirst())
        case "strip": return .string(string.trimmingWhitespace)
        case "append": return .string(string + text(of: arguments[0]))
        case "prepend": return .string(text(of: arguments[0]) + string)
        case "replace":
            let target = text(of: arguments[0])
            guard !target.isEmpty else { return .string(string) }
            let replacement = text(of: arguments[1])
            // Sized before it is built: 64 KiB of "a" each replaced by 64 KiB would be 4 GiB.
            let growth = replacement.utf8.count - target.utf8.count
            if growth > 0 {
                let count = string.occurrences(of: target)
                let limit = budget.limits.maxOutputBytes
                if count > 0, growth > (limit - min(limit, string.utf8.count)) / count {
                    try budget.checkSize(limit + 1, at: filter.at)
                }
            }
            return .string(string.replacing(target, with: replacement))
        case "escape":
            var out = ""
            for c in string {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&#39;"
                default: out.append(c)
                }
            }
            return .string(out)
        case "join":
            guard case .array(let items) = value else { return value }
            let separator = arguments.first.map(text(of:)) ?? " "
            return .string(items.map(text(of:)).joined(separator: separator))
        case "size":
            switch value {
            case .array(let a): return .int(Int64(a.count))
            case .object(let o): return .int(Int64(o.count))
            case .null: return .int(0)
            default: return .int(Int64(string.count))
            }
        case "first":
            if case .array(let a) = value { return a.first ?? .null }
            return .string(String(string.prefix(1)))
        case "last":
            if case .array(let a) = value { return a.last ?? .null }
            return .string(String(string.suffix(1)))
        case "truncate":
            // Any number is a length: beyond what a string can hold it truncates nothing (a bare
            // `Int(_:)` of `99999999999999999999` would trap and end the server).
            let limit = arguments.first.flatMap(number).map(length) ?? 50
            guard string.count > limit else { return .string(string) }
            return .string(String(string.prefix(max(0, limit - 3))) + "...")
        default:
            // The parser admits only the names above.
            throw filter.at.error("unknown filter \"\(filter.name)\"")
        }
    }
}

import BatonCore
import BatonJSON
import Synchronization

/// A prompt template in the strict Liquid subset of SPEC §9.11: `{{ a.b | filter: arg }}`,
/// `{% if %}` / `{% elsif %}` / `{% else %}` / `{% endif %}`, `{% for x in list %}` … `{% endfor %}`
/// (with `forloop.index`, `forloop.first`, `forloop.last`), `{%- -%}` whitespace trimming and
/// `{% comment %}`. Strict: an unknown variable, field or filter is an error naming its line and
/// column, at parse time for filters and at render time for variables.
public struct Template: Sendable {
    let nodes: [TemplateNode]

    /// Parses `source`; syntax errors and unknown filters are thrown here.
    public init(_ source: String) throws(TemplateError) {
        var parser = TemplateParser(tokens: try TemplateLexer.tokens(of: source))
        nodes = try parser.parseDocument()
    }

    private static let parsed = Mutex<[String: Template]>([:])

    /// The template of `source`, parsed once: every attempt renders one, mostly the same few.
    public static func cached(_ source: String) throws(TemplateError) -> Template {
        if let hit = parsed.withLock({ $0[source] }) { return hit }
        let template = try Template(source)
        parsed.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }
            cache[source] = template
        }
        return template
    }

    /// Renders with `variables` (an object whose fields are the top-level names).
    public func render(_ variables: [String: JSONValue]) throws(TemplateError) -> String {
        var out = ""
        var scope = TemplateScope(globals: variables)
        try TemplateRenderer.render(nodes, scope: &scope, into: &out)
        return out
    }
}

/// What is wrong with a template, and where (1-based line and column).
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int

    public init(_ message: String, line: Int, column: Int) {
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A place in the source.
struct SourcePosition: Sendable, Equatable {
    var line: Int
    var column: Int

    func error(_ message: String) -> TemplateError { TemplateError(message, line: line, column: column) }
}

// MARK: - Syntax tree

indirect enum TemplateExpression: Sendable {
    case literal(JSONValue)
    /// `issue.labels.size`: a variable and the fields after it, each with its place.
    case path([(name: String, at: SourcePosition)])
}

struct TemplateFilter: Sendable {
    var name: String
    var arguments: [TemplateExpression]
    var at: SourcePosition
}

indirect enum TemplateCondition: Sendable {
    case truthy(TemplateExpression)
    case compare(TemplateExpression, String, TemplateExpression, SourcePosition)
    /// `a and b or c …`: the first, then each next one with `and` (true) or `or` (false), applied
    /// left to right. Kept flat, not nested: a chain as long as a body allows costs no recursion
    /// (nested, a few thousand `and`s overflowed a thread's stack).
    case chain(TemplateCondition, [(and: Bool, TemplateCondition)])
}

enum TemplateNode: Sendable {
    case text(String)
    case output(TemplateExpression, [TemplateFilter])
    case branches([(TemplateCondition, [TemplateNode])], otherwise: [TemplateNode])
    case loop(variable: String, over: TemplateExpression, body: [TemplateNode], otherwise: [TemplateNode])
}

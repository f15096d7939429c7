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

    /// Parses `source`; syntax errors, unknown filters and blocks nested deeper than
    /// `limits.maxDepth` are thrown here.
    public init(_ source: String, limits: TemplateLimits = TemplateLimits()) throws(TemplateError) {
        var parser = TemplateParser(tokens: try TemplateLexer.tokens(of: source), maxDepth: limits.maxDepth)
        nodes = try parser.parseDocument()
    }

    private static let parsed = Mutex<[CacheKey: Template]>([:])

    private struct CacheKey: Hashable {
        var source: String
        var maxDepth: Int
    }

    /// The template of `source`, parsed once: every attempt renders one, mostly the same few.
    public static func cached(_ source: String, limits: TemplateLimits = TemplateLimits()) throws(TemplateError) -> Template {
        let key = CacheKey(source: source, maxDepth: limits.maxDepth)
        if let hit = parsed.withLock({ $0[key] }) { return hit }
        let template = try Template(source, limits: limits)
        parsed.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }
            cache[key] = template
        }
        return template
    }

    /// Renders with `variables` (an object whose fields are the top-level names), within
    /// `limits`: past any of them the render stops with an error naming the limit.
    public func render(_ variables: [String: JSONValue], limits: TemplateLimits = TemplateLimits())
        throws(TemplateError)
        -> String
    {
        var out = ""
        var scope = TemplateScope(globals: variables)
        var budget = TemplateBudget(limits)
        try TemplateRenderer.render(nodes, scope: &scope, budget: &budget, into: &out)
        return out
    }
}

/// What one template may cost (SPEC §9.11, the `templates.*` keys): how deeply `if`/`for` blocks
/// nest (checked when parsing), and per render how many loop iterations run in all, how many
/// bytes come out (every value a filter makes counts too) and how long it takes.
public struct TemplateLimits: Sendable, Equatable {
    public var maxDepth: Int
    public var maxLoopIterations: Int
    public var maxOutputBytes: Int
    public var maxRenderMs: Int

    /// The schema's defaults.
    public init() { self.init(config: [:]) }

    public init(maxDepth: Int, maxLoopIterations: Int, maxOutputBytes: Int, maxRenderMs: Int) {
        self.maxDepth = maxDepth
        self.maxLoopIterations = maxLoopIterations
        self.maxOutputBytes = maxOutputBytes
        self.maxRenderMs = maxRenderMs
    }

    /// From a configuration's `templates` section; the schema's defaults where a key is absent
    /// (the schema bounds each, so every value fits an Int).
    public init(config effective: JSONValue) {
        let config = ConfigReader(effective)
        maxDepth = Int(config.int("templates.max_depth"))
        maxLoopIterations = Int(config.int("templates.max_loop_iterations"))
        maxOutputBytes = Int(config.int("templates.max_output_bytes"))
        maxRenderMs = Int(config.int("templates.max_render_ms"))
    }
}

/// What is wrong with a template, and where (1-based line and column). `limit` names the
/// `templates.*` key when a limit was exceeded.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int
    public var limit: String?

    public init(_ message: String, line: Int, column: Int, limit: String? = nil) {
        self.message = message
        self.line = line
        self.column = column
        self.limit = limit
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A place in the source.
struct SourcePosition: Sendable, Equatable {
    var line: Int
    var column: Int

    func error(_ message: String) -> TemplateError { TemplateError(message, line: line, column: column) }

    /// A limit exceeded here: `key` is its `templates.*` name.
    func exceeded(_ key: String, _ message: String) -> TemplateError {
        TemplateError(message, line: line, column: column, limit: "templates." + key)
    }
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

/// Each node keeps where it starts, so a limit exceeded while rendering it names that place.
enum TemplateNode: Sendable {
    case text(String, at: SourcePosition)
    case output(TemplateExpression, [TemplateFilter], at: SourcePosition)
    case branches([(TemplateCondition, [TemplateNode])], otherwise: [TemplateNode], at: SourcePosition)
    case loop(
        variable: String, over: TemplateExpression, body: [TemplateNode], otherwise: [TemplateNode],
        at: SourcePosition)
}

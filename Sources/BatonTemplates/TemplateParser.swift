import BatonCore
import BatonJSON

/// The words inside one `{{ }}` or `{% %}`: names, literals, operators and punctuation.
struct ExpressionToken {
    enum Kind: Equatable {
        case name, string, number, op, pipe, colon, comma, dot
    }
    var kind: Kind
    var text: String
    var at: SourcePosition
}

enum ExpressionScanner {
    static func scan(_ text: String, at start: SourcePosition) throws(TemplateError) -> [ExpressionToken] {
        let chars = Array(text)
        var out: [ExpressionToken] = []
        var i = 0
        var position = start
        func step() {
            if chars[i] == "\n" {
                position.line += 1
                position.column = 1
            } else {
                position.column += 1
            }
            i += 1
        }
        while i < chars.count {
            let c = chars[i]
            let here = position
            if c.isWhitespace {
                step()
            } else if c.isLetter || c == "_" {
                var word = ""
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "?" {
                    word.append(chars[i])
                    step()
                }
                out.append(ExpressionToken(kind: .name, text: word, at: here))
            } else if c.isNumber || (c == "-" && i + 1 < chars.count && chars[i + 1].isNumber) {
                var number = String(c)
                step()
                while i < chars.count,
                    chars[i].isNumber || (chars[i] == "." && i + 1 < chars.count && chars[i + 1].isNumber)
                {
                    number.append(chars[i])
                    step()
                }
                out.append(ExpressionToken(kind: .number, text: number, at: here))
            } else if c == "\"" || c == "'" {
                step()
                var value = ""
                var closed = false
                while i < chars.count {
                    if chars[i] == c {
                        step()
                        closed = true
                        break
                    }
                    value.append(chars[i])
                    step()
                }
                guard closed else { throw here.error("a string is not closed") }
                out.append(ExpressionToken(kind: .string, text: value, at: here))
            } else if "=!<>".contains(c) {
                var op = String(c)
                step()
                if i < chars.count, chars[i] == "=" {
                    op.append("=")
                    step()
                }
                guard ["==", "!=", "<", ">", "<=", ">="].contains(op) else {
                    throw here.error("unknown operator \"\(op)\"")
                }
                out.append(ExpressionToken(kind: .op, text: op, at: here))
            } else if c == "|" || c == ":" || c == "," || c == "." {
                let kind: ExpressionToken.Kind = c == "|" ? .pipe : c == ":" ? .colon : c == "," ? .comma : .dot
                out.append(ExpressionToken(kind: kind, text: String(c), at: here))
                step()
            } else {
                throw here.error("unexpected character \"\(c)\"")
            }
        }
        return out
    }
}

/// Builds the syntax tree from the lexer's tokens; block tags must nest and close.
struct TemplateParser {
    let tokens: [TemplateLexer.Token]
    var index = 0
    /// How deeply `if`/`for` blocks may nest (`templates.max_depth`), and how deep they are here.
    let maxDepth: Int
    var depth = 0

    init(tokens: [TemplateLexer.Token], maxDepth: Int = TemplateLimits().maxDepth) {
        self.tokens = tokens
        self.maxDepth = maxDepth
    }

    /// The filters the renderer knows, with how many arguments each takes; any other name, or
    /// another count, is refused at parse time.
    static let filters: [String: ClosedRange<Int>] = [
        "append": 1...1, "capitalize": 0...0, "default": 1...1, "downcase": 0...0, "escape": 0...0, "first": 0...0,
        "join": 0...1, "last": 0...0, "prepend": 1...1, "replace": 2...2, "size": 0...0, "strip": 0...0,
        "truncate": 0...1, "upcase": 0...0,
    ]

    mutating func parseDocument() throws(TemplateError) -> [TemplateNode] {
        let (nodes, end) = try parseBlock(until: [])
        if let end { throw end.at.error("\"{% \(end.text) %}\" without an open block") }
        return nodes
    }

    /// Nodes up to one of the `until` tags (returned, not consumed further), or to the end.
    mutating func parseBlock(until ends: Set<String>) throws(TemplateError) -> ([TemplateNode], TemplateLexer.Token?) {
        var nodes: [TemplateNode] = []
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token.kind {
            case .text:
                nodes.append(.text(token.text, at: token.at))
            case .output:
                let words = try ExpressionScanner.scan(token.text, at: token.at)
                var cursor = WordCursor(words: words, end: token.at)
                let expression = try cursor.expression()
                let filters = try cursor.filters()
                try cursor.expectEnd()
                nodes.append(.output(expression, filters, at: token.at))
            case .tag:
                let keyword = String(token.text.prefix { !$0.isWhitespace })
                let rest = String(token.text.dropFirst(keyword.count))
                let restStart = SourcePosition(line: token.at.line, column: token.at.column + keyword.count)
                switch keyword {
                case "if", "for":
                    // Checked before the block is read: nesting is recursion here and when rendering.
                    guard depth < maxDepth else {
                        throw token.at.exceeded(
                            "max_depth", "blocks nest deeper than templates.max_depth (\(maxDepth))")
                    }
                    depth += 1
                    defer { depth -= 1 }
                    nodes.append(
                        keyword == "if"
                            ? try parseIf(rest, at: restStart, tag: token)
                            : try parseFor(rest, at: restStart, tag: token))
                case "comment":
                    try skipComment(from: token)
                case "endif", "endfor", "else", "elsif", "endcomment":
                    if ends.contains(keyword) { return (nodes, token) }
                    throw token.at.error("\"{% \(keyword) %}\" without an open block")
                default:
                    throw token.at.error("unknown tag \"\(keyword)\"")
                }
            }
        }
        return (nodes, nil)
    }

    mutating func parseIf(_ text: String, at: SourcePosition, tag: TemplateLexer.Token) throws(TemplateError)
        -> TemplateNode
    {
        var branches: [(TemplateCondition, [TemplateNode])] = []
        var condition = try Self.condition(text, at: at, tag: tag)
        while true {
            let (body, end) = try parseBlock(until: ["elsif", "else", "endif"])
            branches.append((condition, body))
            guard let end else { throw tag.at.error("\"{% if %}\" is not closed by \"{% endif %}\"") }
            let keyword = String(end.text.prefix { !$0.isWhitespace })
            switch keyword {
            case "elsif":
                let rest = String(end.text.dropFirst(keyword.count))
                condition = try Self.condition(
                    rest, at: SourcePosition(line: end.at.line, column: end.at.column + keyword.count), tag: end)
            case "else":
                let (otherwise, last) = try parseBlock(until: ["endif"])
                guard last != nil else { throw tag.at.error("\"{% if %}\" is not closed by \"{% endif %}\"") }
                return .branches(branches, otherwise: otherwise, at: tag.at)
            default:
                return .branches(branches, otherwise: [], at: tag.at)
            }
        }
    }

    mutating func parseFor(_ text: String, at: SourcePosition, tag: TemplateLexer.Token) throws(TemplateError)
        -> TemplateNode
    {
        let words = try ExpressionScanner.scan(text, at: at)
        guard words.count >= 3, words[0].kind == .name, words[1].kind == .name, words[1].text == "in" else {
            throw tag.at.error("a for loop reads \"{% for item in list %}\"")
        }
        var cursor = WordCursor(words: Array(words.dropFirst(2)), end: tag.at)
        let list = try cursor.expression()
        try cursor.expectEnd()
        let (body, end) = try parseBlock(until: ["else", "endfor"])
        guard let end else { throw tag.at.error("\"{% for %}\" is not closed by \"{% endfor %}\"") }
        var otherwise: [TemplateNode] = []
        if end.text.hasPrefix("else") {
            let (rest, last) = try parseBlock(until: ["endfor"])
            guard last != nil else { throw tag.at.error("\"{% for %}\" is not closed by \"{% endfor %}\"") }
            otherwise = rest
        }
        return .loop(variable: words[0].text, over: list, body: body, otherwise: otherwise, at: tag.at)
    }

    mutating func skipComment(from tag: TemplateLexer.Token) throws(TemplateError) {
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            if token.kind == .tag && token.text == "endcomment" { return }
        }
        throw tag.at.error("\"{% comment %}\" is not closed by \"{% endcomment %}\"")
    }

    static func condition(_ text: String, at: SourcePosition, tag: TemplateLexer.Token) throws(TemplateError)
        -> TemplateCondition
    {
        let words = try ExpressionScanner.scan(text, at: at)
        guard !words.isEmpty else { throw tag.at.error("\"{% \(tag.text) %}\" needs a condition") }
        var cursor = WordCursor(words: words, end: tag.at)
        let condition = try cursor.condition()
        try cursor.expectEnd()
        return condition
    }
}

/// Reads expressions, filters and conditions off the words of one tag.
struct WordCursor {
    let words: [ExpressionToken]
    /// Where to point when the words run out.
    let end: SourcePosition
    var index = 0

    init(words: [ExpressionToken], end: SourcePosition) {
        self.words = words
        self.end = end
    }

    var current: ExpressionToken? { index < words.count ? words[index] : nil }

    mutating func expression() throws(TemplateError) -> TemplateExpression {
        guard let word = current else { throw (words.last?.at ?? end).error("an expression is missing") }
        index += 1
        switch word.kind {
        case .string: return .literal(.string(word.text))
        case .number:
            if let n = Int64(word.text) { return .literal(.int(n)) }
            if let d = Double(word.text) { return .literal(.double(d)) }
            throw word.at.error("\"\(word.text)\" is not a number")
        case .name:
            switch word.text {
            case "true": return .literal(.bool(true))
            case "false": return .literal(.bool(false))
            case "nil", "null": return .literal(.null)
            default: break
            }
            var path = [(name: word.text, at: word.at)]
            while let dot = current, dot.kind == .dot {
                index += 1
                guard let field = current, field.kind == .name || field.kind == .number else {
                    throw dot.at.error("a field name must follow \".\"")
                }
                index += 1
                path.append((field.text, field.at))
            }
            return .path(path)
        default:
            throw word.at.error("unexpected \"\(word.text)\"")
        }
    }

    mutating func filters() throws(TemplateError) -> [TemplateFilter] {
        var out: [TemplateFilter] = []
        while let pipe = current, pipe.kind == .pipe {
            index += 1
            guard let name = current, name.kind == .name else { throw pipe.at.error("a filter name must follow \"|\"") }
            index += 1
            guard let arity = TemplateParser.filters[name.text] else {
                throw name.at.error("unknown filter \"\(name.text)\"")
            }
            var arguments: [TemplateExpression] = []
            if let colon = current, colon.kind == .colon {
                index += 1
                arguments.append(try expression())
                while let comma = current, comma.kind == .comma {
                    index += 1
                    arguments.append(try expression())
                }
            }
            guard arity.contains(arguments.count) else {
                let wanted =
                    arity.lowerBound == arity.upperBound
                    ? "\(arity.lowerBound)" : "\(arity.lowerBound) or \(arity.upperBound)"
                throw name.at.error(
                    "filter \"\(name.text)\" takes \(wanted) argument\(arity.upperBound == 1 ? "" : "s"), not \(arguments.count)"
                )
            }
            out.append(TemplateFilter(name: name.text, arguments: arguments, at: name.at))
        }
        return out
    }

    /// `a`, `a == b`, `a contains b`, joined by `and` / `or` (evaluated left to right).
    mutating func condition() throws(TemplateError) -> TemplateCondition {
        let first = try comparison()
        var rest: [(and: Bool, TemplateCondition)] = []
        while let word = current, word.kind == .name, word.text == "and" || word.text == "or" {
            index += 1
            rest.append((word.text == "and", try comparison()))
        }
        return rest.isEmpty ? first : .chain(first, rest)
    }

    mutating func comparison() throws(TemplateError) -> TemplateCondition {
        let left = try expression()
        if let op = current, op.kind == .op || (op.kind == .name && op.text == "contains") {
            index += 1
            return .compare(left, op.text, try expression(), op.at)
        }
        return .truthy(left)
    }

    func expectEnd() throws(TemplateError) {
        if let word = current { throw word.at.error("unexpected \"\(word.text)\"") }
    }
}

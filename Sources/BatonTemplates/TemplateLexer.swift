import BatonCore
import BatonPlatform

/// Splits a template into text, `{{ output }}` and `{% tag %}` tokens, each with where it starts.
/// `{{-`, `-}}`, `{%-` and `-%}` trim the whitespace on that side.
enum TemplateLexer {
    enum Kind: Equatable {
        case text
        case output
        case tag
    }

    struct Token: Equatable {
        var kind: Kind
        /// For output and tags, the inside without the delimiters and trim marks.
        var text: String
        /// Where the token's content starts (after `{{` / `{%` and spaces, for error columns).
        var at: SourcePosition
        var trimBefore = false
        var trimAfter = false
    }

    static func tokens(of source: String) throws(TemplateError) -> [Token] {
        let chars = Array(source)
        var tokens: [Token] = []
        var i = 0
        var line = 1
        var column = 1
        var text = ""
        var textStart = SourcePosition(line: 1, column: 1)

        func advance(_ n: Int) {
            for _ in 0..<n {
                if chars[i] == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
                i += 1
            }
        }

        while i < chars.count {
            let opensOutput = chars[i] == "{" && i + 1 < chars.count && chars[i + 1] == "{"
            let opensTag = chars[i] == "{" && i + 1 < chars.count && chars[i + 1] == "%"
            guard opensOutput || opensTag else {
                if text.isEmpty { textStart = SourcePosition(line: line, column: column) }
                text.append(chars[i])
                advance(1)
                continue
            }
            if !text.isEmpty {
                tokens.append(Token(kind: .text, text: text, at: textStart))
                text = ""
            }
            let open = SourcePosition(line: line, column: column)
            let close: [Character] = opensOutput ? ["}", "}"] : ["%", "}"]
            advance(2)
            var trimBefore = false
            if i < chars.count && chars[i] == "-" {
                trimBefore = true
                advance(1)
            }
            var inner = ""
            var innerStart: SourcePosition?
            var closed = false
            var quote: Character?
            while i < chars.count {
                let c = chars[i]
                if quote == nil, c == close[0], i + 1 < chars.count, chars[i + 1] == close[1] {
                    advance(2)
                    closed = true
                    break
                }
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == "\"" || c == "'" {
                    quote = c
                }
                if innerStart == nil && c != " " && c != "\t" && c != "\n" && c != "\r" {
                    innerStart = SourcePosition(line: line, column: column)
                }
                inner.append(c)
                advance(1)
            }
            guard closed else {
                throw open.error(opensOutput ? "\"{{\" is not closed by \"}}\"" : "\"{%\" is not closed by \"%}\"")
            }
            var trimAfter = false
            if inner.hasSuffix("-") {
                trimAfter = true
                inner.removeLast()
            }
            let content = inner.trimmingWhitespace
            guard !content.isEmpty else {
                throw open.error(opensOutput ? "an empty {{ }}" : "an empty {% %}")
            }
            tokens.append(
                Token(
                    kind: opensOutput ? .output : .tag, text: content, at: innerStart ?? open, trimBefore: trimBefore,
                    trimAfter: trimAfter))
        }
        if !text.isEmpty { tokens.append(Token(kind: .text, text: text, at: textStart)) }
        // Trim marks eat the whitespace of the neighbouring text.
        for index in tokens.indices where tokens[index].kind != .text {
            if tokens[index].trimBefore, index > 0, tokens[index - 1].kind == .text {
                tokens[index - 1].text = String(
                    tokens[index - 1].text.reversed().drop(while: \.isWhitespace).reversed())
            }
            if tokens[index].trimAfter, index + 1 < tokens.count, tokens[index + 1].kind == .text {
                tokens[index + 1].text = String(tokens[index + 1].text.drop(while: \.isWhitespace))
            }
        }
        return tokens
    }
}

import Testing

@testable import BatonJSON

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#" {"a": [1, -2, 3.5, 1e3, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(
            value
                == .object([
                    "a": [1, -2, 3.5, 1000.0, true, false, nil], "b": ["c": "d"], "e": "",
                ]))
    }

    @Test func keepsLargeIntegersExact() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(Int64.min))
        // Beyond Int64 it becomes a double rather than failing.
        #expect(try JSONParser.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try JSONParser.parse(#""\u00e9\u2713\ud83d\ude80""#) == .string("é✓🚀"))
        #expect(try JSONParser.parse("\"naïve\"") == .string("naïve"))
    }

    @Test(arguments: [
        ("", "unexpected end of input, expected a value"),
        ("{", "expected a quoted object key"),
        ("[1,]", "unexpected character, expected a value"),
        ("{\"a\":1,}", "expected a quoted object key"),
        ("01", "leading zeros are not allowed"),
        ("1.", "expected digits after '.'"),
        ("1e", "expected digits in exponent"),
        ("-", "invalid number"),
        ("tru", "invalid literal, expected true"),
        ("\"abc", "unterminated string"),
        ("\"a\nb\"", "control character in string must be escaped"),
        (#""\x""#, "invalid escape in string"),
        (#""\ud83d""#, "unpaired surrogate in \\u escape"),
        (#""\ude80""#, "unpaired surrogate in \\u escape"),
        (#""\u12g4""#, "invalid hex digit in \\u escape"),
        ("{\"a\":1,\"a\":2}", "duplicate key \"a\""),
        ("1 2", "unexpected text after the JSON value"),
        ("// comment\n1", "unexpected character, expected a value"),
        ("NaN", "unexpected character, expected a value"),
        ("1e999", "number out of range"),
    ])
    func refusesMalformedInput(input: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
        do {
            _ = try JSONParser.parse(input)
        } catch {
            #expect(error.message == message, "\(input)")
        }
    }

    @Test func reportsLineAndColumn() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": tru\n}")
            Issue.record("should have failed")
        } catch {
            #expect(error.line == 2)
            #expect(error.description.hasPrefix("invalid JSON at line 2, column "))
        }
    }

    @Test func boundsNestingDepth() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
        // A very deep hostile document fails fast instead of exhausting the stack.
        let hostile = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(hostile) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }
}

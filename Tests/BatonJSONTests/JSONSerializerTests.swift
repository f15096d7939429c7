import Testing

@testable import BatonJSON

@Suite struct JSONSerializerTests {
    @Test func writesCompactTextWithSortedKeys() {
        let value: JSONValue = ["b": 1, "a": [true, nil, "x"], "c": ["z": 1.5, "y": -2]]
        #expect(value.text == #"{"a":[true,null,"x"],"b":1,"c":{"y":-2,"z":1.5}}"#)
    }

    @Test func writesPrettyText() {
        let value: JSONValue = ["b": [1, 2], "a": [:], "c": []]
        #expect(value.prettyText == "{\n  \"a\": {},\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": []\n}")
    }

    @Test func roundTripsThroughTheParser() throws {
        let value: JSONValue = [
            "s": "quote \" backslash \\ newline \n tab \t é 🚀 \u{01}", "n": 9_007_199_254_740_993, "d": 0.1,
        ]
        #expect(try JSONParser.parse(value.text) == value)
    }

    @Test func doublesStayNumbersAndNonFiniteBecomesNull() {
        #expect(JSONValue.double(3).text == "3.0")
        #expect(JSONValue.double(0.25).text == "0.25")
        #expect(JSONValue.double(.infinity).text == "null")
        #expect(JSONValue.double(.nan).text == "null")
    }

    /// Bytes already UTF-8 are quoted exactly as the same text as a `String`.
    @Test func quotesUTF8BytesAsItQuotesStrings() {
        let texts = [
            "", "plain", "a\"b\\c", String((0..<32).map { Character(UnicodeScalar(UInt8($0))) }) + "\u{7F}",
            "naïve ✓ 日本語 🚀", "\u{2028}x\u{2029}", "\u{2030}\u{2027}", "end\u{2028}", "\u{E2}\u{80}",
            String(repeating: "long \"run\" ", count: 200),
        ]
        for text in texts {
            var fromBytes: [UInt8] = []
            var utf8 = text
            utf8.withUTF8 { JSONText.appendQuoted(utf8: $0, to: &fromBytes) }
            #expect(String(decoding: fromBytes, as: UTF8.self) == JSONText.quote(text))
        }
    }

    @Test func quotesStringsForJSONAndJavaScript() {
        #expect(JSONText.quote("a\"b\\c") == #""a\"b\\c""#)
        #expect(JSONText.quote("\u{01}\u{1F}\u{08}\u{0C}") == #""\u0001\u001f\b\f""#)
        #expect(JSONText.quote("\u{2028}") == #""\u2028""#)
        #expect(JSONText.quote("naïve ✓") == "\"naïve ✓\"")
        // Escapes between plain runs, and a lone 0xE2 lead byte that is not U+2028.
        #expect(JSONText.quote("ab\ncd\u{2029}ef\u{2030}") == #""ab\ncd\u2029ef\#u{2030}""#)
        #expect(JSONText.quote("") == #""""#)
    }

    @Test func keysSortByUTF8BytesNotByUnicodeCollation() {
        // "é" (C3 A9) sorts after "z" (7A) by bytes; "a" before "aa".
        let value: JSONValue = ["é": 1, "z": 2, "aa": 3, "a": 4, "Z": 5]
        #expect(value.text == #"{"Z":5,"a":4,"aa":3,"z":2,"é":1}"#)
        #expect(String(decoding: value.utf8Bytes, as: UTF8.self) == value.text)
    }
}

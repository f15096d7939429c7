import Testing

@testable import BatonPlatform

@Suite struct TextTests {
    /// Lengths as JSON Schema counts them: code points, not bytes and not grapheme clusters.
    @Test func codePointCountIsWhatMaxLengthCounts() {
        #expect("abc".codePointCount == 3)
        #expect("é".codePointCount == 1 && "é".utf8.count == 2)
        #expect("e\u{301}".codePointCount == 2 && "e\u{301}".count == 1)
        #expect("🙂".codePointCount == 1 && "🙂".utf8.count == 4)
        #expect("\r\n".codePointCount == 2)
    }

    /// Blank is every code point White_Space; the OpenAPI document's class lists exactly these.
    @Test func blankMeansUnicodeWhiteSpaceOnly() {
        let whiteSpace: [UInt32] =
            Array(0x09...0x0D) + [0x20, 0x85, 0xA0, 0x1680] + Array(0x2000...0x200A) + [
                0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
            ]
        for value in whiteSpace {
            #expect(String(Unicode.Scalar(value)!).isBlank, "U+\(String(value, radix: 16))")
        }
        #expect("".isBlank)
        for text in ["x", "\u{1C}", "\u{200B}", " \u{301}", "\u{FEFF}", "\u{180E}"] {
            #expect(!text.isBlank, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func lineBreaksAreTheSevenNewlineCodePoints() {
        for text in ["a\nb", "\u{0B}", "\u{0C}", "\r", "\u{85}", "\u{2028}", "\u{2029}", "\r\n"] {
            #expect(text.containsLineBreak)
        }
        for text in ["", "plain", "\t", "\u{1C}", "\u{1E}"] { #expect(!text.containsLineBreak) }
    }
}

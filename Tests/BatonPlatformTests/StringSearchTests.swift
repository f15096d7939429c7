import Testing

@testable import BatonPlatform

/// The substring search that stands in for `_StringProcessing` (left out of every module): exact
/// UTF-8 matching, left to right, matches never overlapping.
@Suite struct StringSearchTests {
    @Test func containsFindsWholeNeedlesOnly() {
        #expect("the vision model".contains("vision"))
        #expect("abc".contains("abc"))
        #expect(!"abc".contains("abcd"))
        #expect(!"ab".contains("ba"))
        #expect("aaab".contains("aab"))
        #expect("anything".contains(""))
        #expect(!"".contains("a"))
        #expect("snow ❄️ flake".contains("❄️"))
        // A substring searches only its own bounds.
        let middle = "xxabcxx".dropFirst(2).dropLast(2)
        #expect(middle.contains("abc"))
        #expect(!middle.contains("xa"))
        // Unapplied, as `contains(where: name.contains)` uses it.
        #expect(["gb10", "gb20"].contains(where: "nvidia gb20".contains))
        #expect(!["gb10", "gb30"].contains(where: "nvidia gb20".contains))
    }

    @Test func firstRangeIsTheFirstMatch() throws {
        let text = "fe80::1::2"
        let range = try #require(text.firstRange(of: "::"))
        #expect(text[..<range.lowerBound] == "fe80")
        #expect(text[range.upperBound...] == "1::2")
        #expect("abc".firstRange(of: "z") == nil)
        let empty = try #require("abc".firstRange(of: ""))
        #expect(empty.isEmpty && empty.lowerBound == "abc".startIndex)
        let sub = "--key=value--".dropFirst(2)
        let found = try #require(sub.firstRange(of: "="))
        #expect(sub[..<found.lowerBound] == "key")
        #expect("é=1".firstRange(of: "=").map { "é=1"[$0.upperBound...] } == "1")
    }

    @Test func occurrencesDoNotOverlap() {
        #expect("aaaa".occurrences(of: "aa") == 2)
        #expect("abcabc".occurrences(of: "abc") == 2)
        #expect("abc".occurrences(of: "d") == 0)
        #expect("abc".occurrences(of: "") == 0)
    }

    @Test func replacingReplacesEveryMatchLeftToRight() {
        #expect("key sk-1 and sk-1".replacing("sk-1", with: "[REDACTED]") == "key [REDACTED] and [REDACTED]")
        #expect("aaa".replacing("aa", with: "b") == "ba")
        #expect("abc".replacing("", with: "x") == "abc")
        #expect("abc".replacing("z", with: "x") == "abc")
        #expect("ab".replacing("ab", with: "") == "")
        #expect("ü-ü".replacing("ü", with: "u") == "u-u")
    }
}

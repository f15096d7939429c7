// Substring search without `_StringProcessing` (Package.swift leaves that module out: it would
// link the regular-expression libraries, ~1 MB resident, for a handful of searches).
// Matching is on UTF-8 bytes: exact, with no Unicode canonical equivalence, which is what
// searching for markers, keys and secrets wants. Native strings are searched in place, with no
// copy: some of these searches run on every request.

extension StringProtocol {
    /// Where `needle` first occurs (nil when it does not; an empty needle matches at the start).
    public func firstRange(of needle: some StringProtocol) -> Range<Index>? {
        guard let offset = utf8Offset(of: needle, from: 0) else { return nil }
        let lower = utf8.index(utf8.startIndex, offsetBy: offset)
        let upper = utf8.index(lower, offsetBy: needle.utf8.count)
        return lower..<upper
    }

    /// Whether `needle` occurs in this string. The needle is a `String`, not generic, so where
    /// Foundation's `contains` is visible too (tests) this one is the more specific and is chosen.
    public func contains(_ needle: String) -> Bool {
        utf8Offset(of: needle, from: 0) != nil
    }

    /// How many times `needle` occurs, counting matches that do not overlap (0 for an empty needle).
    public func occurrences(of needle: some StringProtocol) -> Int {
        let length = needle.utf8.count
        guard length > 0 else { return 0 }
        var count = 0
        var from = 0
        while let offset = utf8Offset(of: needle, from: from) {
            count += 1
            from = offset + length
        }
        return count
    }

    /// This string with every non-overlapping occurrence of `needle` replaced, left to right.
    /// An empty needle changes nothing.
    public func replacing(_ needle: some StringProtocol, with replacement: some StringProtocol) -> String {
        let length = needle.utf8.count
        guard length > 0, var offset = utf8Offset(of: needle, from: 0) else { return String(self) }
        let bytes = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var from = 0
        while true {
            out.append(contentsOf: bytes[from..<offset])
            out.append(contentsOf: replacement.utf8)
            from = offset + length
            guard let next = utf8Offset(of: needle, from: from) else { break }
            offset = next
        }
        out.append(contentsOf: bytes[from...])
        return String(decoding: out, as: UTF8.self)
    }

    /// The byte offset (from this string's start) of the first `needle` at or after `from`.
    func utf8Offset(of needle: some StringProtocol, from: Int) -> Int? {
        let inPlace = utf8.withContiguousStorageIfAvailable { haystack in
            needle.utf8.withContiguousStorageIfAvailable { pattern in
                StringSearch.firstOffset(of: pattern, in: haystack, from: from)
            }
        }
        if case .some(.some(let found)) = inPlace { return found }
        return StringSearch.firstOffset(of: Array(needle.utf8), in: Array(utf8), from: from)
    }
}

public enum StringSearch {
    /// The offset where `pattern` first starts in `haystack` at or after `from`. Inlinable so a
    /// caller in another module gets it specialised for its buffers.
    @inlinable
    public static func firstOffset<Haystack: RandomAccessCollection<UInt8>, Pattern: RandomAccessCollection<UInt8>>(
        of pattern: Pattern, in haystack: Haystack, from: Int
    ) -> Int? where Haystack.Index == Int, Pattern.Index == Int {
        let base = haystack.startIndex
        let patternBase = pattern.startIndex
        let count = pattern.count
        guard from >= 0, from <= haystack.count else { return nil }
        guard count > 0 else { return from }
        guard count <= haystack.count - from else { return nil }
        let first = pattern[patternBase]
        var i = from
        let last = haystack.count - count
        while i <= last {
            if haystack[base + i] == first {
                var j = 1
                while j < count && haystack[base + i + j] == pattern[patternBase + j] { j += 1 }
                if j == count { return i }
            }
            i += 1
        }
        return nil
    }
}

// Substring search without `_StringProcessing` (Package.swift leaves that module out: it would
// link the regular-expression libraries, ~1 MB resident, for a handful of searches).
// Matching is on UTF-8 bytes: exact, with no Unicode canonical equivalence, which is what
// searching for markers, keys and secrets wants.

extension StringProtocol {
    /// Where `needle` first occurs (nil when it does not; an empty needle matches at the start).
    public func firstRange(of needle: some StringProtocol) -> Range<Index>? {
        let haystack = Array(utf8)
        let pattern = Array(needle.utf8)
        guard let offset = StringSearch.firstOffset(of: pattern, in: haystack[...]) else { return nil }
        let lower = utf8.index(utf8.startIndex, offsetBy: offset)
        let upper = utf8.index(lower, offsetBy: pattern.count)
        return lower..<upper
    }

    /// Whether `needle` occurs in this string. The needle is a `String`, not generic, so where
    /// Foundation's `contains` is visible too (tests) this one is the more specific and is chosen.
    public func contains(_ needle: String) -> Bool {
        StringSearch.firstOffset(of: Array(needle.utf8), in: Array(utf8)[...]) != nil
    }

    /// How many times `needle` occurs, counting matches that do not overlap (0 for an empty needle).
    public func occurrences(of needle: some StringProtocol) -> Int {
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty else { return 0 }
        var rest = Array(utf8)[...]
        var count = 0
        while let offset = StringSearch.firstOffset(of: pattern, in: rest) {
            count += 1
            rest = rest[(offset + pattern.count)...]
        }
        return count
    }

    /// This string with every non-overlapping occurrence of `needle` replaced, left to right.
    /// An empty needle changes nothing.
    public func replacing(_ needle: some StringProtocol, with replacement: some StringProtocol) -> String {
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty else { return String(self) }
        var rest = Array(utf8)[...]
        var out: [UInt8] = []
        out.reserveCapacity(rest.count)
        while let offset = StringSearch.firstOffset(of: pattern, in: rest) {
            out.append(contentsOf: rest[rest.startIndex..<(offset)])
            out.append(contentsOf: replacement.utf8)
            rest = rest[(offset + pattern.count)...]
        }
        out.append(contentsOf: rest)
        return String(decoding: out, as: UTF8.self)
    }
}

enum StringSearch {
    /// The absolute index (in `haystack`'s indices) where `pattern` first starts.
    static func firstOffset(of pattern: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard !pattern.isEmpty else { return haystack.startIndex }
        guard pattern.count <= haystack.count else { return nil }
        let first = pattern[0]
        var i = haystack.startIndex
        let last = haystack.endIndex - pattern.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < pattern.count && haystack[i + j] == pattern[j] { j += 1 }
                if j == pattern.count { return i }
            }
            i += 1
        }
        return nil
    }
}

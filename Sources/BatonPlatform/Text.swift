/// The one trimming helper every module uses: the characters to drop are the caller's to say
/// (HTTP drops spaces and tabs, config text any whitespace).
extension StringProtocol {
    /// Without leading and trailing characters for which `isTrimmed` is true.
    public func trimming(while isTrimmed: (Character) -> Bool) -> String {
        var s = Substring(self)
        while let c = s.first, isTrimmed(c) { s = s.dropFirst() }
        while let c = s.last, isTrimmed(c) { s = s.dropLast() }
        return String(s)
    }

    /// Without leading and trailing whitespace (spaces, tabs, line breaks).
    public var trimmingWhitespace: String { trimming(while: \.isWhitespace) }

    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    public var trimmingSpaces: String { trimming { $0 == " " || $0 == "\t" } }

    /// Without leading and trailing characters of `set`.
    public func trimmingCharacters(in set: String) -> String { trimming { set.contains($0) } }

    /// A name a shell accepts for an environment variable (letters, digits and `_`, not starting
    /// with a digit), of at most 256 bytes.
    public var isEnvironmentVariableName: Bool {
        guard let first = utf8.first, first == 95 || (65...90).contains(first) || (97...122).contains(first),
            utf8.count <= 256
        else { return false }
        return utf8.allSatisfy {
            $0 == 95 || (65...90).contains($0) || (97...122).contains($0) || (48...57).contains($0)
        }
    }

    /// A name Baton accepts for a provider, a template, a tag-like id: 1 to 64 ASCII letters,
    /// digits, `.`, `_` or `-` (SPEC §6.3).
    public var isPlainName: Bool { !utf8.isEmpty && utf8.count <= 64 && utf8.allSatisfy(\.isPlainNameByte) }

    /// Its length as JSON Schema's `minLength` and `maxLength` count it: in Unicode code points.
    /// The API's text limits count this way, so `openapi/openapi.json` states them exactly.
    public var codePointCount: Int { unicodeScalars.count }

    /// Nothing but white space (code points with Unicode's White_Space property), or empty: what
    /// the API refuses as blank. The OpenAPI document states "not blank" as the pattern
    /// `[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]`.
    public var isBlank: Bool { unicodeScalars.allSatisfy(\.properties.isWhitespace) }

    /// Holds a line break: LF, VT, FF, CR, NEL, LS or PS (the code points `Character.isNewline`
    /// stands for), as the OpenAPI document's one-line patterns exclude them.
    public var containsLineBreak: Bool {
        unicodeScalars.contains { (0x0A...0x0D).contains($0.value) || [0x85, 0x2028, 0x2029].contains($0.value) }
    }
}

extension UInt8 {
    /// An ASCII letter, digit, `.`, `_` or `-`: a byte of a plain name.
    public var isPlainNameByte: Bool {
        (48...57).contains(self) || (65...90).contains(self) || (97...122).contains(self) || self == 46 || self == 95
            || self == 45
    }
}

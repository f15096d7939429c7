/// Removes the userinfo (`user:password@`) from every `scheme://…` URL in a text, so a token
/// embedded in a remote or endpoint URL is never shown. `git@host:path` (scp-like, a user name
/// and no password) is left as it is.
public enum URLCredentials {
    public static func strip(_ text: String) -> String {
        guard text.contains("://"), text.contains("@") else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i + 2 < bytes.count, bytes[i] == 58, bytes[i + 1] == 47, bytes[i + 2] == 47 {  // "://"
                out += bytes[i...(i + 2)]
                i += 3
                // The authority ends at '/', '?', '#', whitespace, a quote or the end of the text.
                var end = i
                while end < bytes.count, !isAuthorityEnd(bytes[end]) { end += 1 }
                if let at = bytes[i..<end].lastIndex(of: 64) {  // '@'
                    i = at + 1
                }
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isAuthorityEnd(_ b: UInt8) -> Bool {
        b == 47 || b == 63 || b == 35 || b == 32 || b == 9 || b == 10 || b == 13 || b == 34 || b == 39 || b == 60
            || b == 62
    }
}

/// Parses a complete request head (request line, header fields, final empty line) per RFC 9112.
/// The incremental parser finds the head's end and has already checked that every line ends in
/// CRLF with no stray CR or LF; this turns the bytes into an `HTTPRequestHead` and decides framing.
enum HTTPHeadParser {
    struct RequestLine {
        var method: HTTPMethod
        var target: String
        var path: String
        var query: String
        var version: (major: Int, minor: Int)
    }

    /// `line` excludes the CRLF.
    static func parseRequestLine(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) -> RequestLine {
        let n = line.count
        var i = 0
        while i < n, isTokenChar(line[i]) { i += 1 }
        guard i > 0, i < n, line[i] == UInt8(ascii: " ") else {
            throw .bad("The request line is malformed (method).")
        }
        let methodEnd = i
        i += 1
        let targetStart = i
        while i < n, line[i] != UInt8(ascii: " ") {
            // Targets are URI characters: visible ASCII only (RFC 3986), no CTLs, no spaces.
            guard line[i] >= 0x21 && line[i] <= 0x7E else {
                throw .bad("The request target contains invalid characters.")
            }
            i += 1
        }
        guard i > targetStart, i < n else { throw .bad("The request line is malformed (target).") }
        let targetEnd = i
        i += 1
        let version = try parseVersion(UnsafeRawBufferPointer(rebasing: line[i..<n]))

        let method = makeMethod(UnsafeRawBufferPointer(rebasing: line[0..<methodEnd]))
        var target = UnsafeRawBufferPointer(rebasing: line[targetStart..<targetEnd])
        if target[0] == UInt8(ascii: "*") {
            guard target.count == 1, method == .options else {
                throw .bad("The request target is malformed.")
            }
            return RequestLine(method: method, target: "*", path: "*", query: "", version: version)
        }
        if target[0] != UInt8(ascii: "/") {
            // Absolute form (RFC 9112 §3.2.2): servers must accept it; keep only path and query.
            guard let originStart = originFormStart(ofAbsolute: target) else {
                throw .bad("The request target is malformed.")
            }
            target = UnsafeRawBufferPointer(rebasing: target[originStart...])
        }
        let targetString = target.isEmpty ? "/" : String(decoding: target, as: UTF8.self)
        var path = targetString
        var query = ""
        if let q = target.firstIndex(of: UInt8(ascii: "?")) {
            path = String(decoding: UnsafeRawBufferPointer(rebasing: target[..<q]), as: UTF8.self)
            query = String(decoding: UnsafeRawBufferPointer(rebasing: target[(q + 1)...]), as: UTF8.self)
        }
        return RequestLine(method: method, target: targetString, path: path, query: query, version: version)
    }

    /// `HTTP/1.1` or `HTTP/1.0`; another well-formed version gets 505, anything else 400.
    static func parseVersion(_ v: UnsafeRawBufferPointer) throws(HTTPParseError) -> (major: Int, minor: Int) {
        guard v.count == 8, v[0] == UInt8(ascii: "H"), v[1] == UInt8(ascii: "T"), v[2] == UInt8(ascii: "T"),
            v[3] == UInt8(ascii: "P"), v[4] == UInt8(ascii: "/"), isDigit(v[5]), v[6] == UInt8(ascii: "."),
            isDigit(v[7])
        else { throw .bad("The request line is malformed (version).") }
        let major = Int(v[5] - UInt8(ascii: "0"))
        let minor = Int(v[7] - UInt8(ascii: "0"))
        guard major == 1, minor <= 1 else {
            throw HTTPParseError(
                .httpVersionNotSupported, "http_version_not_supported", "Only HTTP/1.0 and HTTP/1.1 are supported.")
        }
        return (major, minor)
    }

    /// `head` is the whole head including its final CRLFCRLF.
    static func parse(_ head: UnsafeRawBufferPointer, maxBodyBytes: Int) throws(HTTPParseError) -> HTTPRequestHead {
        let end = head.count
        guard let firstLF = head.firstIndex(of: 10), firstLF >= 1 else { throw .bad("The request line is missing.") }
        let line = try parseRequestLine(UnsafeRawBufferPointer(rebasing: head[0..<(firstLF - 1)]))

        var fields: [HTTPHeaders.Field] = []
        fields.reserveCapacity(8)
        var facts = FramingFacts()
        var i = firstLF + 1
        while i < end {
            // Empty line: end of the head.
            if head[i] == 13 { break }
            let c = head[i]
            if c == UInt8(ascii: " ") || c == 9 {
                throw .bad("Obsolete line folding is not accepted in header fields.")
            }
            let nameStart = i
            while isTokenChar(head[i]) { i += 1 }
            guard i > nameStart, head[i] == UInt8(ascii: ":") else {
                throw .bad("A header field name is malformed.")
            }
            let nameEnd = i
            i += 1
            while head[i] == UInt8(ascii: " ") || head[i] == 9 { i += 1 }
            let valueStart = i
            var valueEnd = i
            while head[i] != 13 {
                let b = head[i]
                // Field values: VCHAR, SP, HTAB and obs-text; every other control byte is refused.
                if b < 0x20 && b != 9 || b == 0x7F {
                    throw .bad("A header field value contains invalid characters.")
                }
                i += 1
                if b != UInt8(ascii: " ") && b != 9 { valueEnd = i }
            }
            i += 2  // CRLF
            let name = UnsafeRawBufferPointer(rebasing: head[nameStart..<nameEnd])
            let value = UnsafeRawBufferPointer(rebasing: head[valueStart..<valueEnd])
            try facts.note(name: name, value: value)
            fields.append(
                (name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }

        let isHTTP11 = line.version.minor == 1
        if isHTTP11 && facts.hostCount != 1 || facts.hostCount > 1 {
            throw .bad("An HTTP/1.1 request needs exactly one Host header field.")
        }
        let framing = try facts.framing(isHTTP11: isHTTP11, maxBodyBytes: maxBodyBytes)
        let keepAlive = isHTTP11 ? !facts.connectionClose : (facts.connectionKeepAlive && !facts.connectionClose)
        return HTTPRequestHead(
            method: line.method, target: line.target, path: line.path, query: line.query, version: line.version,
            headers: HTTPHeaders(fields), keepAlive: keepAlive, expectsContinue: facts.expectsContinue,
            framing: framing)
    }

    /// What the header fields say about framing and the connection, gathered as they are read.
    struct FramingFacts {
        var hostCount = 0
        /// -1: no Content-Length; -2: larger than any limit.
        var contentLength = -1
        var hasTransferEncoding = false
        var chunkedCount = 0
        var unknownCoding = false
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false

        mutating func note(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(HTTPParseError) {
            // Dispatch on length first so ordinary headers cost one comparison.
            switch name.count {
            case 4 where equalsLower(name, "host"):
                hostCount += 1
            case 6 where equalsLower(name, "expect"):
                guard equalsLower(value, "100-continue") else {
                    throw HTTPParseError(
                        .expectationFailed, "expectation_failed", "Only 'Expect: 100-continue' is supported.")
                }
                expectsContinue = true
            case 10 where equalsLower(name, "connection"):
                forEachListElement(value) { token in
                    if equalsLower(token, "close") { connectionClose = true }
                    if equalsLower(token, "keep-alive") { connectionKeepAlive = true }
                }
            case 14 where equalsLower(name, "content-length"):
                var failed = false
                forEachListElement(value, keepEmpty: true) { element in
                    let n = parseDecimal(element)
                    if n == -1 || contentLength != -1 && contentLength != n { failed = true }
                    contentLength = n
                }
                if failed || contentLength == -1 { throw .bad("The Content-Length header field is invalid.") }
            case 17 where equalsLower(name, "transfer-encoding"):
                hasTransferEncoding = true
                forEachListElement(value) { coding in
                    if equalsLower(coding, "chunked") { chunkedCount += 1 } else { unknownCoding = true }
                }
            default:
                break
            }
        }

        func framing(isHTTP11: Bool, maxBodyBytes: Int) throws(HTTPParseError) -> HTTPRequestHead.BodyFraming {
            if hasTransferEncoding {
                // RFC 9112 §6.1–6.3: both framings at once is a smuggling vector; refuse it.
                if contentLength != -1 {
                    throw .bad("Content-Length and Transfer-Encoding cannot both be present.")
                }
                if !isHTTP11 { throw .bad("Transfer-Encoding is not allowed in an HTTP/1.0 request.") }
                if unknownCoding {
                    throw HTTPParseError(
                        .notImplemented, "unsupported_transfer_coding", "Only the chunked transfer coding is supported."
                    )
                }
                guard chunkedCount == 1 else { throw .bad("The Transfer-Encoding header field is invalid.") }
                return .chunked
            }
            if contentLength == -2 || contentLength > maxBodyBytes { throw .bodyTooLarge }
            return contentLength > 0 ? .length(contentLength) : .none
        }
    }

    /// 1*DIGIT; -1 when malformed, -2 when absurdly large (more than 18 digits).
    static func parseDecimal(_ s: UnsafeRawBufferPointer) -> Int {
        guard !s.isEmpty else { return -1 }
        var n = 0
        var digits = 0
        for b in s {
            guard isDigit(b) else { return -1 }
            if n == 0 && b == UInt8(ascii: "0") { continue }
            digits += 1
            if digits > 18 {
                n = -2
                continue
            }
            if n >= 0 { n = n * 10 + Int(b - UInt8(ascii: "0")) }
        }
        return n
    }

    /// Calls `body` with each comma-separated element, OWS trimmed; empty elements are skipped
    /// unless `keepEmpty` (Content-Length treats `1,,1` as malformed).
    static func forEachListElement(
        _ value: UnsafeRawBufferPointer, keepEmpty: Bool = false, _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        var start = 0
        var i = 0
        let n = value.count
        while i <= n {
            if i == n || value[i] == UInt8(ascii: ",") {
                var a = start
                var b = i
                while a < b && (value[a] == 32 || value[a] == 9) { a += 1 }
                while b > a && (value[b - 1] == 32 || value[b - 1] == 9) { b -= 1 }
                if a < b || keepEmpty { body(UnsafeRawBufferPointer(rebasing: value[a..<b])) }
                start = i + 1
            }
            i += 1
        }
    }

    /// ASCII case-insensitive comparison with a lowercase literal.
    static func equalsLower(_ bytes: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
        guard bytes.count == lower.utf8CodeUnitCount else { return false }
        let p = lower.utf8Start
        for i in 0..<bytes.count {
            var b = bytes[i]
            if b >= 65 && b <= 90 { b += 32 }
            if b != p[i] { return false }
        }
        return true
    }

    static func makeMethod(_ bytes: UnsafeRawBufferPointer) -> HTTPMethod {
        // The common methods reuse their constants instead of building a String.
        if bytes.count == 3 && bytes[0] == UInt8(ascii: "G") && bytes[1] == UInt8(ascii: "E")
            && bytes[2] == UInt8(ascii: "T")
        {
            return .get
        }
        return HTTPMethod(String(decoding: bytes, as: UTF8.self))
    }

    /// Offset of the path in `scheme://authority/path`, or the end when there is no path.
    /// nil when the target is not an http(s) absolute URI.
    static func originFormStart(ofAbsolute t: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        while i < t.count, t[i] != UInt8(ascii: ":") { i += 1 }
        let scheme = UnsafeRawBufferPointer(rebasing: t[0..<i])
        guard equalsLower(scheme, "http") || equalsLower(scheme, "https") else { return nil }
        guard i + 2 < t.count, t[i + 1] == UInt8(ascii: "/"), t[i + 2] == UInt8(ascii: "/") else { return nil }
        i += 3
        let authorityStart = i
        while i < t.count, t[i] != UInt8(ascii: "/"), t[i] != UInt8(ascii: "?") { i += 1 }
        guard i > authorityStart else { return nil }
        return i
    }
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

/// tchar from RFC 9110 §5.6.2.
@inline(__always) func isTokenChar(_ c: UInt8) -> Bool {
    switch c {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
        UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default: return false
    }
}

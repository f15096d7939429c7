import BatonPlatform

/// Serialises response heads and chunked framing into a connection's output buffer. The server
/// owns framing: a responder's own `Content-Length`, `Transfer-Encoding`, `Connection` and `Date`
/// fields are replaced, and fields whose name or value would break the head (CR, LF, NUL) are dropped.
enum ResponseEncoder {
    enum Framing: Equatable {
        /// `Content-Length: n` (for HEAD: the length the body would have had).
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// No length: the body ends when the connection closes (streams to HTTP/1.0 clients).
        case untilClose
        /// Neither field: 1xx, 204 and 304 responses, which never have a body.
        case none
    }

    enum ConnectionField {
        case none
        case close
        case keepAlive
    }

    static func writeHead(
        into out: inout [UInt8], status: HTTPStatus, headers: HTTPHeaders, framing: Framing,
        connection: ConnectionField, date: [UInt8]
    ) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        let code = status.code
        if code >= 100 && code <= 999 {
            out.append(UInt8(48 + code / 100))
            out.append(UInt8(48 + code / 10 % 10))
            out.append(UInt8(48 + code % 10))
        } else {
            out.append(contentsOf: "500".utf8)
        }
        out.append(UInt8(ascii: " "))
        appendSafe(status.reason, into: &out)
        out.append(contentsOf: "\r\n".utf8)
        for field in headers.fields where !isServerOwned(field.name) && isSafe(field.name) && isSafe(field.value) {
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: date)
        switch framing {
        case .length(let n):
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(n, into: &out)
            out.append(contentsOf: "\r\n".utf8)
        case .chunked:
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .untilClose, .none:
            break
        }
        switch connection {
        case .none: break
        case .close: out.append(contentsOf: "Connection: close\r\n".utf8)
        case .keepAlive: out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
    }

    /// One chunk: size in hex, CRLF, data, CRLF. Empty input writes nothing (an empty chunk
    /// would end the body).
    static func writeChunk(_ bytes: [UInt8], into out: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        appendHex(bytes.count, into: &out)
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: bytes)
        out.append(contentsOf: "\r\n".utf8)
    }

    static func writeLastChunk(into out: inout [UInt8]) {
        out.append(contentsOf: "0\r\n\r\n".utf8)
    }

    /// Whether a status forbids a body and its length fields (RFC 9110 §6.4.1).
    static func statusHasNoBody(_ code: Int) -> Bool {
        code < 200 || code == 204 || code == 304
    }

    /// A responder asks to close the connection with its own `Connection: close`.
    static func asksToClose(_ headers: HTTPHeaders) -> Bool {
        for field in headers.fields where field.name.caseInsensitiveEquals("connection") {
            if field.value.lowercased().split(separator: ",").contains(where: {
                $0.trimmingCharacters(in: " \t") == "close"
            }) {
                return true
            }
        }
        return false
    }

    /// The JSON error the server itself answers with (design: `{"error", "code"}`).
    static func errorResponse(status: HTTPStatus, code: String, message: String) -> HTTPResponse {
        HTTPResponse.json(status, "{\"error\":\"\(message)\",\"code\":\"\(code)\"}")
    }

    static func isServerOwned(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: name.caseInsensitiveEquals("date")
        case 10: name.caseInsensitiveEquals("connection")
        case 14: name.caseInsensitiveEquals("content-length")
        case 17: name.caseInsensitiveEquals("transfer-encoding")
        default: false
        }
    }

    @inline(__always) static func isSafe(_ text: String) -> Bool {
        for b in text.utf8 where b == 13 || b == 10 || b == 0 { return false }
        return true
    }

    static func appendSafe(_ text: String, into out: inout [UInt8]) {
        for b in text.utf8 where b != 13 && b != 10 && b != 0 { out.append(b) }
    }

    static func appendDecimal(_ value: Int, into out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(48 + max(value, 0)))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while n > 0 {
                buffer[19 - count] = UInt8(48 + n % 10)
                n /= 10
                count += 1
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(20 - count)...]))
        }
    }

    static func appendHex(_ value: Int, into out: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if shift < 0 { shift = 0 }
        while shift >= 0 {
            out.append(digits[(value >> shift) & 0xF])
            shift -= 4
        }
    }
}

extension Substring {
}

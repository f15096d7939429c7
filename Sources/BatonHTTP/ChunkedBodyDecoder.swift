/// Decodes a `Transfer-Encoding: chunked` request body (RFC 9112 §7.1) incrementally, from any
/// split of the input. Chunk extensions are skipped (bounded), trailer fields are read and dropped
/// (bounded by the header limit), and the decoded body may not grow past the body limit.
struct ChunkedBodyDecoder: Sendable {
    enum Result: Equatable {
        case needMoreData
        case done
        case failed(HTTPParseError)
    }

    private enum State: Equatable {
        case size
        /// After the hex digits: optional whitespace, then `;` extensions or CR.
        case afterSize
        case extensions
        case sizeLF
        case data
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerLine
        case trailerLF
        case finalLF
        case done
    }

    private var state = State.size
    private var digits = 0
    private var size = 0
    private var extensionBytes = 0
    private var trailerBytes = 0

    static let maxExtensionBytes = 4096

    /// Consumes from `input`, appending chunk data to `body`. Returns bytes consumed; stops right
    /// after the last CRLF of the message so pipelined bytes stay with the caller.
    mutating func decode(
        _ input: UnsafeRawBufferPointer, into body: inout [UInt8], maxBodyBytes: Int, maxTrailerBytes: Int
    ) -> (consumed: Int, result: Result) {
        var i = 0
        let n = input.count
        while i < n {
            let b = input[i]
            switch state {
            case .size:
                if let v = hexValue(b) {
                    digits += 1
                    size = size * 16 + Int(v)
                    if digits > 16 { return (i, .failed(.bad("A chunk size is invalid."))) }
                    // Checked per digit so the value can never overflow.
                    if size > maxBodyBytes - body.count { return (i, .failed(.bodyTooLarge)) }
                    i += 1
                } else {
                    guard digits > 0 else { return (i, .failed(.bad("A chunk size is invalid."))) }
                    state = .afterSize
                }
            case .afterSize:
                switch b {
                case UInt8(ascii: " "), 9: i += 1
                case UInt8(ascii: ";"):
                    state = .extensions
                    i += 1
                case 13:
                    state = .sizeLF
                    i += 1
                default: return (i, .failed(.bad("A chunk size is invalid.")))
                }
            case .extensions:
                if b == 13 {
                    state = .sizeLF
                } else {
                    extensionBytes += 1
                    if extensionBytes > Self.maxExtensionBytes || (b < 0x20 && b != 9) || b == 0x7F {
                        return (i, .failed(.bad("A chunk extension is invalid or too long.")))
                    }
                }
                i += 1
            case .sizeLF:
                guard b == 10 else { return (i, .failed(.bad("A chunk size line is malformed."))) }
                i += 1
                state = size == 0 ? .trailerLineStart : .data
            case .data:
                let take = min(size, n - i)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[i..<(i + take)]))
                size -= take
                i += take
                if size == 0 { state = .dataCR }
            case .dataCR:
                guard b == 13 else { return (i, .failed(.bad("Chunk data is longer than its size."))) }
                state = .dataLF
                i += 1
            case .dataLF:
                guard b == 10 else { return (i, .failed(.bad("Chunk data is longer than its size."))) }
                state = .size
                digits = 0
                extensionBytes = 0
                i += 1
            case .trailerLineStart:
                if b == 13 {
                    state = .finalLF
                    i += 1
                } else {
                    state = .trailerLine
                }
            case .trailerLine:
                trailerBytes += 1
                if trailerBytes > maxTrailerBytes { return (i, .failed(.trailersTooLarge)) }
                if b == 13 {
                    state = .trailerLF
                } else if b == 10 || (b < 0x20 && b != 9) || b == 0x7F {
                    return (i, .failed(.bad("A trailer field is malformed.")))
                }
                i += 1
            case .trailerLF:
                guard b == 10 else { return (i, .failed(.bad("A trailer field is malformed."))) }
                state = .trailerLineStart
                i += 1
            case .finalLF:
                guard b == 10 else { return (i, .failed(.bad("The chunked body does not end properly."))) }
                state = .done
                return (i + 1, .done)
            case .done:
                return (i, .done)
            }
        }
        return (i, state == .done ? .done : .needMoreData)
    }
}

@inline(__always) func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 48...57: b - 48
    case 97...102: b - 87
    case 65...70: b - 55
    default: nil
    }
}

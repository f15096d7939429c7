import BatonPlatform

/// Reads one HTTP/1.1 answer as its bytes arrive, for `PlainHTTPClient`'s poll loop: a status
/// line, headers, and a body of Content-Length bytes, chunks, or (with neither) up to the end of
/// the connection. Pure: the loop appends what `recv` returned and asks whether the answer is
/// whole. Every length is checked against the request's limit before anything is kept.
struct PlainHTTPResponseParser {
    enum Outcome {
        case needMore
        /// The answer, and whether the connection may carry another request.
        case complete(HTTPClientResponse, keepAlive: Bool)
        case failed(HTTPClientError)
    }

    /// A head, or a chunk-size or trailer line, longer than this is refused.
    static let maxLineBytes = 65536

    private enum Phase {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case trailer
        case toEnd
        case done
    }

    let limit: Int
    /// Bytes appended so far: none means the peer closed before answering (a stale connection).
    private(set) var received = 0
    private var buffer: [UInt8] = []
    private var phase = Phase.head
    private var status = 0
    private var headers = HTTPHeaders()
    private var keepAlive = false
    private var body: [UInt8] = []
    private var failure: HTTPClientError?

    init(limit: Int) { self.limit = limit }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        received += bytes.count
        buffer.append(contentsOf: bytes)
    }

    mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }

    /// Parses as far as the bytes so far allow. A failure is final: every later call repeats it.
    mutating func advance() -> Outcome {
        if let failure { return .failed(failure) }
        let outcome = step()
        if case .failed(let error) = outcome { failure = error }
        return outcome
    }

    private mutating func step() -> Outcome {
        var offset = 0
        defer { if offset > 0 { buffer.removeFirst(offset) } }
        while true {
            switch phase {
            case .done:
                return .complete(HTTPClientResponse(status: status, headers: headers, body: body), keepAlive: keepAlive)
            case .head:
                guard let end = Self.find([13, 10, 13, 10], in: buffer, from: offset) else {
                    return buffer.count - offset > Self.maxLineBytes
                        ? .failed(Self.protocolError("an answer head over 64 KiB")) : .needMore
                }
                let text = String(decoding: buffer[offset..<end], as: UTF8.self)
                offset = end + 4
                if let failure = readHead(text) { return .failed(failure) }
            case .fixed(let remaining):
                let take = min(remaining, buffer.count - offset)
                body += buffer[offset..<(offset + take)]
                offset += take
                guard take == remaining else {
                    phase = .fixed(remaining: remaining - take)
                    return .needMore
                }
                phase = .done
            case .chunkSize:
                guard let line = line(&offset) else { return lineOutcome(offset) }
                guard let size = Int(line.prefix { $0 != ";" }.trimmingSpaces, radix: 16), size >= 0 else {
                    return .failed(Self.protocolError("a bad chunk size"))
                }
                // One past the limit is refused unread.
                guard size <= limit - body.count else { return .failed(.responseTooLarge(limit: limit)) }
                phase = size == 0 ? .trailer : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let take = min(remaining, buffer.count - offset)
                body += buffer[offset..<(offset + take)]
                offset += take
                guard take == remaining else {
                    phase = .chunkData(remaining: remaining - take)
                    return .needMore
                }
                phase = .chunkEnd
            case .chunkEnd:
                guard let line = line(&offset) else { return lineOutcome(offset) }
                guard line.isEmpty else { return .failed(Self.protocolError("a chunk longer than its size")) }
                phase = .chunkSize
            case .trailer:
                // Trailer fields, if any, are skipped up to the empty line that ends the answer.
                guard let line = line(&offset) else { return lineOutcome(offset) }
                if line.isEmpty { phase = .done }
            case .toEnd:
                body += buffer[offset...]
                offset = buffer.count
                return body.count > limit ? .failed(.responseTooLarge(limit: limit)) : .needMore
            }
        }
    }

    /// The peer closed the connection: an answer that runs to the end is now whole; any other
    /// unfinished one was cut short.
    mutating func finish() -> Outcome {
        switch advance() {
        case .needMore:
            guard case .toEnd = phase else {
                return .failed(.transport(code: -1, message: "the connection closed mid-answer"))
            }
            return .complete(HTTPClientResponse(status: status, headers: headers, body: body), keepAlive: false)
        case let outcome: return outcome
        }
    }

    private static func protocolError(_ message: String) -> HTTPClientError { .transport(code: -1, message: message) }

    /// Reads the status line and headers and chooses how the body is framed; nil, or why not.
    private mutating func readHead(_ text: String) -> HTTPClientError? {
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ", maxSplits: 2) ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let code = Int(statusParts[1]),
            (100...999).contains(code)
        else { return Self.protocolError("not an HTTP/1.1 answer") }
        status = code
        keepAlive = statusParts[0] == "HTTP/1.1"
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = String(line[line.index(after: colon)...]).trimmingSpaces
            headers.add(name, value)
            switch name.lowercased() {
            case "content-length":
                guard let parsed = Int(value), parsed >= 0 else { return Self.protocolError("a bad Content-Length") }
                length = parsed
            case "transfer-encoding": chunked = value.lowercased().contains("chunked")
            case "connection": keepAlive = !value.lowercased().contains("close")
            default: break
            }
        }
        if chunked {
            phase = .chunkSize
        } else if let length {
            guard length <= limit else { return .responseTooLarge(limit: limit) }
            phase = length == 0 ? .done : .fixed(remaining: length)
        } else if status == 204 || status == 304 {
            phase = .done
        } else {
            // No length: the body runs to the end of the connection, which cannot be reused.
            keepAlive = false
            phase = .toEnd
        }
        return nil
    }

    /// The next CRLF-terminated line from `offset`, moving past it; nil when it has not all come.
    private func line(_ offset: inout Int) -> String? {
        guard let end = Self.find([13, 10], in: buffer, from: offset) else { return nil }
        let text = String(decoding: buffer[offset..<end], as: UTF8.self)
        offset = end + 2
        return text
    }

    private func lineOutcome(_ offset: Int) -> Outcome {
        buffer.count - offset > Self.maxLineBytes ? .failed(Self.protocolError("a line over 64 KiB")) : .needMore
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count - start >= needle.count else { return nil }
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0] {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

/// An incremental HTTP/1.1 request parser: a value type fed byte slices of any size, split anywhere.
///
/// Call `parse` with the unread bytes; it returns how many it consumed and what happened:
/// `.headComplete` once the header block is parsed (look at `head`: the connection may answer
/// 413 or send `100 Continue` before any body byte is read), then `.messageComplete` once the body
/// is in (`takeMessage()` hands it over and readies the parser for the next request), or `.failed`
/// with the status to answer before closing. The parser never consumes bytes past the end of a
/// message, so pipelined requests stay with the caller.
public struct HTTPRequestParser: Sendable {
    public enum Event: Equatable, Sendable {
        case needMoreData
        case headComplete
        case messageComplete
        case failed(HTTPParseError)
    }

    private enum Phase {
        case idle
        case head
        case body
        case chunked
        case complete
        case failed(HTTPParseError)
    }

    public let maxHeaderBytes: Int
    public let maxBodyBytes: Int

    private var phase = Phase.idle
    /// The part of a head that arrived in earlier slices (empty in the common one-read case).
    private var headBuffer: [UInt8] = []
    /// Progress through the CR LF CR LF that ends the head.
    private var matched = 0
    private var headBytesSeen = 0
    /// Offset of the request line's LF within the head, once seen; -1 before.
    private var firstLineEnd = -1
    private var requestLineChecked = false
    public private(set) var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var remaining = 0
    private var chunkedDecoder = ChunkedBodyDecoder()

    public init(maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1_048_576) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// No byte of the next request has arrived yet.
    public var isIdle: Bool { if case .idle = phase { true } else { false } }
    /// Part of a header block has arrived, not all of it.
    public var isReadingHead: Bool { if case .head = phase { true } else { false } }

    public mutating func parse(_ input: UnsafeRawBufferPointer) -> (consumed: Int, event: Event) {
        switch phase {
        case .idle:
            // RFC 9112 §2.2: ignore empty lines before a request line (some clients send an extra
            // CRLF after a body).
            var i = 0
            while i < input.count && (input[i] == 13 || input[i] == 10) { i += 1 }
            if i == input.count { return (i, .needMoreData) }
            phase = .head
            matched = 0
            headBytesSeen = 0
            firstLineEnd = -1
            requestLineChecked = false
            let (consumed, event) = parseHead(UnsafeRawBufferPointer(rebasing: input[i...]))
            return (i + consumed, event)
        case .head:
            return parseHead(input)
        case .body:
            let take = min(remaining, input.count)
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[0..<take]))
            remaining -= take
            if remaining > 0 { return (take, .needMoreData) }
            phase = .complete
            return (take, .messageComplete)
        case .chunked:
            let (consumed, result) = chunkedDecoder.decode(
                input, into: &body, maxBodyBytes: maxBodyBytes, maxTrailerBytes: maxHeaderBytes)
            switch result {
            case .needMoreData: return (consumed, .needMoreData)
            case .done:
                phase = .complete
                return (consumed, .messageComplete)
            case .failed(let error): return fail(error, consumed: consumed)
            }
        case .complete:
            return (0, .messageComplete)
        case .failed(let error):
            return (0, .failed(error))
        }
    }

    public mutating func parse(_ bytes: [UInt8]) -> (consumed: Int, event: Event) {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// The finished request's head and body; the parser then waits for the next request.
    public mutating func takeMessage() -> (head: HTTPRequestHead, body: [UInt8]) {
        precondition(head != nil, "takeMessage() before .messageComplete")
        let message = (head!, body)
        head = nil
        body = []
        phase = .idle
        return message
    }

    private mutating func fail(_ error: HTTPParseError, consumed: Int) -> (consumed: Int, event: Event) {
        phase = .failed(error)
        headBuffer = []
        body = []
        return (consumed, .failed(error))
    }

    private mutating func parseHead(_ input: UnsafeRawBufferPointer) -> (consumed: Int, event: Event) {
        let n = input.count
        var i = 0
        // Find CRLFCRLF, refusing a CR not followed by LF and an LF not preceded by CR on the way:
        // the head parser can then rely on clean CRLF-terminated lines.
        while i < n {
            let b = input[i]
            if b == 13 {
                if matched == 1 || matched == 3 {
                    return fail(.bad("A bare CR is not allowed in the head."), consumed: i)
                }
                matched = matched == 2 ? 3 : 1
            } else if b == 10 {
                if matched == 1 {
                    matched = 2
                    if firstLineEnd < 0 { firstLineEnd = headBytesSeen + i }
                } else if matched == 3 {
                    matched = 4
                    i += 1
                    break
                } else {
                    return fail(.bad("A bare LF is not allowed in the head."), consumed: i)
                }
            } else {
                if matched == 1 || matched == 3 {
                    return fail(.bad("A bare CR is not allowed in the head."), consumed: i)
                }
                matched = 0
            }
            i += 1
        }
        if headBytesSeen + i > maxHeaderBytes { return fail(.headersTooLarge, consumed: i) }

        guard matched == 4 else {
            headBuffer.append(contentsOf: input)
            headBytesSeen += n
            // Check the request line as soon as it is whole, so garbage (a TLS hello, say) is
            // refused at once rather than at the header limit or timeout.
            if firstLineEnd >= 1 && !requestLineChecked {
                requestLineChecked = true
                let lineEnd = firstLineEnd - 1
                let error: HTTPParseError? = headBuffer.withUnsafeBytes { buffer in
                    do throws(HTTPParseError) {
                        _ = try HTTPHeadParser.parseRequestLine(UnsafeRawBufferPointer(rebasing: buffer[0..<lineEnd]))
                        return nil
                    } catch { return error }
                }
                if let error { return fail(error, consumed: n) }
            }
            return (n, .needMoreData)
        }

        let result: Result<HTTPRequestHead, HTTPParseError>
        if headBuffer.isEmpty {
            result = Result { () throws(HTTPParseError) in
                try HTTPHeadParser.parse(UnsafeRawBufferPointer(rebasing: input[0..<i]), maxBodyBytes: maxBodyBytes)
            }
        } else {
            headBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[0..<i]))
            result = headBuffer.withUnsafeBytes { buffer in
                Result { () throws(HTTPParseError) in try HTTPHeadParser.parse(buffer, maxBodyBytes: maxBodyBytes) }
            }
            // Keep a modest buffer for the next split head; drop a big one.
            if headBuffer.capacity > 4096 { headBuffer = [] } else { headBuffer.removeAll(keepingCapacity: true) }
        }
        switch result {
        case .failure(let error):
            return fail(error, consumed: i)
        case .success(let parsed):
            head = parsed
            switch parsed.framing {
            case .none:
                phase = .complete
            case .length(let length):
                phase = .body
                remaining = length
                // Reserve lazily for big bodies: an announced length costs nothing until it arrives.
                body.reserveCapacity(min(length, 65536))
            case .chunked:
                phase = .chunked
                chunkedDecoder = ChunkedBodyDecoder()
            }
            return (i, .headComplete)
        }
    }
}

// libFuzzer target: the chunked body decoder, behind a fixed head. The first byte picks a slice
// length (bits 0-4) and a mode (bit 7). Raw mode: the rest is the body as sent, and a body the
// server accepts must decode as a plain reading of its chunk sizes says. Encoded mode: the rest
// is turned into a well-formed chunked body (sizes in either case, with leading zeros, extensions,
// whitespace and trailers as its bytes choose), which the server must accept and decode to exactly
// the data that went in. See README "Fuzzing".

let chunkedHead = Array("POST /c HTTP/1.1\r\nHost: f\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPChunked(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let rest = Array(bytes.dropFirst())
    let sliceLength = Int(bytes[0] % 32) + 1
    if bytes[0] & 0x80 == 0 {
        let input = chunkedHead + rest
        checkSplitInvariance(input, sliceLength: sliceLength)
        if let first = feed(input, sliceLength: 0).messages.first {
            precondition(first.body == referenceDecode(rest), "decoded other bytes than the chunk sizes say")
        }
    } else {
        let (body, content) = encodeChunked(rest)
        let input = chunkedHead + body
        checkSplitInvariance(input, sliceLength: sliceLength)
        let outcome = feed(input, sliceLength: sliceLength)
        if content.count <= fuzzMaxBodyBytes {
            precondition(outcome.failed == nil, "refused a well-formed body: \(String(describing: outcome.failed))")
            precondition(outcome.messages.count == 1, "\(outcome.messages.count) requests from one body")
            precondition(outcome.messages[0].body == content, "decoded other bytes than were encoded")
        } else {
            precondition(outcome.failed?.status.code == 413, "a body over the limit was not refused with 413")
        }
    }
    return 0
}

/// A well-formed chunked body built from `input`: each chunk takes a control byte (its length,
/// 1-64, and how its size line is written) and up to that many data bytes. Returns the body and
/// the data it carries.
func encodeChunked(_ input: [UInt8]) -> (body: [UInt8], content: [UInt8]) {
    var body: [UInt8] = []
    var content: [UInt8] = []
    var i = 0
    while i < input.count {
        let control = input[i]
        i += 1
        let length = min(Int(control & 0x3F) + 1, input.count - i)
        if length == 0 { break }
        let data = input[i..<(i + length)]
        i += length
        content += data
        var hex = String(length, radix: 16, uppercase: control & 0x40 != 0)
        if control & 0x80 != 0 { hex = "00" + hex }
        body += Array(hex.utf8)
        if control & 0x01 != 0 { body += Array(" \t".utf8) }
        if control & 0x02 != 0 { body += Array(";name=\"v a\";flag".utf8) }
        body += [13, 10]
        body += data
        body += [13, 10]
    }
    body += Array("0\r\n".utf8)
    if input.first.map({ $0 & 0x04 != 0 }) ?? false { body += Array("X-Trailer: 1\r\nX-Other: two\r\n".utf8) }
    body += [13, 10]
    return (body, content)
}

/// A lenient, non-incremental reading of a chunked body: hex size, anything up to CRLF, that many
/// bytes, CRLF; trailers up to an empty line. Wherever the server's decoder accepts a body, this
/// must give the same bytes.
func referenceDecode(_ input: [UInt8]) -> [UInt8]? {
    var out: [UInt8] = []
    var i = 0
    func lineEnd(from start: Int) -> Int? {
        var j = start
        while j + 1 < input.count {
            if input[j] == 13 && input[j + 1] == 10 { return j }
            j += 1
        }
        return nil
    }
    while true {
        guard let end = lineEnd(from: i) else { return nil }
        var size = 0
        var j = i
        while j < end, let v = hex(input[j]) {
            size = size * 16 + v
            if size > 1 << 40 { return nil }
            j += 1
        }
        i = end + 2
        if size == 0 { break }
        guard i + size + 2 <= input.count else { return nil }
        out += input[i..<(i + size)]
        i += size + 2
    }
    while let end = lineEnd(from: i) {
        if end == i { return out }
        i = end + 2
    }
    return nil
}

func hex(_ b: UInt8) -> Int? {
    switch b {
    case 48...57: Int(b) - 48
    case 97...102: Int(b) - 87
    case 65...70: Int(b) - 55
    default: nil
    }
}

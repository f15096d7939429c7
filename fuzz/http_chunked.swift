// libFuzzer target: the chunked body decoder, behind a fixed head. The first byte picks a slice
// length; the rest is the body. A body the server accepts must decode as a plain reading of the
// chunk sizes says. See README "Fuzzing".

let chunkedHead = Array("POST /c HTTP/1.1\r\nHost: f\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPChunked(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let body = Array(bytes.dropFirst())
    let input = chunkedHead + body
    checkSplitInvariance(input, sliceLength: Int(bytes[0] % 32) + 1)
    let outcome = feed(input, sliceLength: 0)
    if let first = outcome.messages.first {
        precondition(first.body == referenceDecode(body), "decoded other bytes than the chunk sizes say")
    }
    return 0
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

// libFuzzer target: HTTPRequestParser (the request line and header parser, framing, bodies,
// pipelining). The first byte picks a slice length; the rest is the byte stream. See README
// "Fuzzing".

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkSplitInvariance(Array(bytes.dropFirst()), sliceLength: Int(bytes[0] % 32) + 1)
    return 0
}

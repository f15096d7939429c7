import BatonHTTP

/// What `HTTPRequestParser` made of a byte stream: the requests it completed, and whether it
/// refused the rest.
struct ParserOutcome: Equatable {
    struct Message: Equatable {
        var method: String
        var target: String
        var path: String
        var query: String
        var version: [Int]
        var headers: [String]
        var keepAlive: Bool
        var expectsContinue: Bool
        var framing: HTTPRequestHead.BodyFraming
        var body: [UInt8]
    }
    var messages: [Message] = []
    var failed: HTTPParseError?
}

/// The limits the HTTP targets parse under: small, so inputs reach them.
let fuzzMaxHeaderBytes = 1024
let fuzzMaxBodyBytes = 2048

/// Feeds `input` to a fresh parser in slices of `sliceLength` bytes (the whole of it at once when
/// 0), taking every complete message, as `HTTPConnection` does.
func feed(_ input: [UInt8], sliceLength: Int) -> ParserOutcome {
    var parser = HTTPRequestParser(maxHeaderBytes: fuzzMaxHeaderBytes, maxBodyBytes: fuzzMaxBodyBytes)
    var outcome = ParserOutcome()
    let step = sliceLength == 0 ? max(1, input.count) : sliceLength
    var start = 0
    while start < input.count {
        let slice = Array(input[start..<min(start + step, input.count)])
        start += slice.count
        var offset = 0
        while true {
            let (consumed, event) = parser.parse(Array(slice[offset...]))
            precondition(
                consumed >= 0 && offset + consumed <= slice.count, "consumed \(consumed) of \(slice.count - offset)")
            offset += consumed
            switch event {
            case .needMoreData:
                precondition(offset == slice.count, "needMoreData left \(slice.count - offset) bytes unread")
            case .headComplete:
                continue
            case .messageComplete:
                let (head, body) = parser.takeMessage()
                precondition(body.count <= fuzzMaxBodyBytes, "a body of \(body.count) bytes passed the limit")
                outcome.messages.append(
                    .init(
                        method: head.method.rawValue, target: head.target, path: head.path, query: head.query,
                        version: [head.version.major, head.version.minor],
                        headers: head.headers.map { "\($0.name): \($0.value)" }, keepAlive: head.keepAlive,
                        expectsContinue: head.expectsContinue, framing: head.framing, body: body))
                if offset < slice.count { continue }
            case .failed(let error):
                outcome.failed = error
                return outcome
            }
            break
        }
    }
    return outcome
}

/// The parser must not care how its input is split: the same requests either way, and a refusal
/// either both ways or neither (which one may differ: split, a bad request line is refused as
/// soon as it is whole, before the header limit is reached).
func checkSplitInvariance(_ input: [UInt8], sliceLength: Int) {
    let whole = feed(input, sliceLength: 0)
    let split = feed(input, sliceLength: sliceLength)
    precondition(whole.messages == split.messages, "split every \(sliceLength) bytes: other requests")
    precondition(
        (whole.failed == nil) == (split.failed == nil),
        "split every \(sliceLength) bytes: \(String(describing: whole.failed)) vs \(String(describing: split.failed))")
}

import Testing

@testable import BatonHTTP

/// What feeding a byte stream to a parser produced: the requests, or the error that stopped it.
private struct Outcome: Equatable {
    struct Message: Equatable {
        var method: String
        var target: String
        var path: String
        var query: String
        var minor: Int
        var headers: [String]
        var body: [UInt8]
        var keepAlive: Bool
    }
    var messages: [Message] = []
    var error: HTTPParseError?
    var heads = 0
}

/// Feeds `input` in the given slices, taking every complete message.
private func run(_ slices: [[UInt8]], maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1024) -> Outcome {
    var parser = HTTPRequestParser(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
    var outcome = Outcome()
    for slice in slices {
        var offset = 0
        while true {
            let (consumed, event) = parser.parse(Array(slice[offset...]))
            offset += consumed
            switch event {
            case .needMoreData:
                #expect(offset == slice.count, "needMoreData must consume everything")
            case .headComplete:
                outcome.heads += 1
                continue
            case .messageComplete:
                let (head, body) = parser.takeMessage()
                outcome.messages.append(
                    .init(
                        method: head.method.rawValue, target: head.target, path: head.path, query: head.query,
                        minor: head.version.minor, headers: head.headers.map { "\($0.name)=\($0.value)" },
                        body: body, keepAlive: head.keepAlive))
                if offset < slice.count { continue }
            case .failed(let error):
                outcome.error = error
                return outcome
            }
            break
        }
    }
    return outcome
}

private func run(_ text: String, maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1024) -> Outcome {
    run([Array(text.utf8)], maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
}

/// The outcome is the same however the input is split in two, and fed byte by byte.
private func expectSplitInvariant(_ text: String, maxBodyBytes: Int = 1024) -> Outcome {
    let bytes = Array(text.utf8)
    let whole = run([bytes], maxBodyBytes: maxBodyBytes)
    for cut in 0...bytes.count {
        let split = run([Array(bytes[..<cut]), Array(bytes[cut...])], maxBodyBytes: maxBodyBytes)
        #expect(split.messages == whole.messages, "split at \(cut)")
        #expect(split.error == whole.error, "split at \(cut)")
    }
    let single = run(bytes.map { [$0] }, maxBodyBytes: maxBodyBytes)
    #expect(single.messages == whole.messages)
    #expect(single.error == whole.error)
    return whole
}

@Suite struct HTTPRequestParserTests {
    @Test func simpleGet() {
        let outcome = expectSplitInvariant("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.messages.count == 1)
        let message = outcome.messages[0]
        #expect(message.method == "GET")
        #expect(message.target == "/a/b?x=1&y=2")
        #expect(message.path == "/a/b")
        #expect(message.query == "x=1&y=2")
        #expect(message.minor == 1)
        #expect(message.headers == ["Host=example", "Accept=*/*"])
        #expect(message.keepAlive)
    }

    @Test func contentLengthBodyAndPipelinedRequests() {
        let text =
            "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
            + "GET /next HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        let outcome = expectSplitInvariant(text)
        #expect(outcome.error == nil)
        #expect(outcome.messages.map(\.target) == ["/p", "/next"])
        #expect(outcome.messages[0].body == Array("hello world".utf8))
        #expect(outcome.messages[1].keepAlive == false)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() {
        let text =
            "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1 ; x\r\n \r\n00006\r\nworld!\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n"
            + "GET /after HTTP/1.1\r\nHost: h\r\n\r\n"
        let outcome = expectSplitInvariant(text)
        #expect(outcome.error == nil)
        #expect(outcome.messages.count == 2)
        #expect(outcome.messages[0].body == Array("hello world!".utf8))
        #expect(outcome.messages[1].target == "/after")
    }

    @Test func duplicateHeadersAreKeptAndValuesTrimmed() {
        let outcome = run("GET / HTTP/1.1\r\nHost: h\r\nX-A:  1 \r\nx-a:\t2\r\nEmpty:\r\n\r\n")
        #expect(outcome.messages.first?.headers == ["Host=h", "X-A=1", "x-a=2", "Empty="])
    }

    @Test func leadingEmptyLinesAreIgnored() {
        let outcome = expectSplitInvariant("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(outcome.messages.count == 1)
    }

    @Test func http10KeepAliveRules() {
        #expect(run("GET / HTTP/1.0\r\n\r\n").messages.first?.keepAlive == false)
        #expect(run("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").messages.first?.keepAlive == true)
        #expect(run("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n").messages.first?.keepAlive == false)
    }

    @Test func absoluteFormTargetIsReducedToOriginForm() {
        let outcome = run("GET http://example.com:80/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(outcome.messages.first?.target == "/x?y")
        #expect(outcome.messages.first?.path == "/x")
        #expect(run("GET http://example.com HTTP/1.1\r\nHost: e\r\n\r\n").messages.first?.target == "/")
        #expect(run("OPTIONS * HTTP/1.1\r\nHost: e\r\n\r\n").messages.first?.target == "*")
    }

    @Test(arguments: [
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET / \r\nHost: h\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
        "GET / HTTPS/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/11\r\nHost: h\r\n\r\n",
        "GET x HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET ftp://x/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\nHost: h\n\n",
        "GET / HTTP/1.1\r\nHost: h\r\r\n\r\n",
    ])
    func malformedRequestLinesAre400(_ text: String) {
        let outcome = expectSplitInvariant(text)
        #expect(outcome.error?.status.code == 400, "\(text.debugDescription)")
        #expect(outcome.messages.isEmpty)
    }

    @Test func garbageIsRefusedAsSoonAsTheFirstLineEnds() {
        var parser = HTTPRequestParser()
        let (_, event) = parser.parse(Array("\u{16}\u{03}\u{01} nonsense\r\n".utf8))
        #expect(event == .failed(.bad("The request line is malformed (method).")))
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"])
    func otherVersionsAre505(_ version: String) {
        let outcome = run("GET / \(version)\r\nHost: h\r\n\r\n")
        #expect(outcome.error?.status.code == 505)
    }

    @Test(arguments: [
        "X-Bad: a\u{01}b\r\n",
        "X-Bad: a\u{7F}b\r\n",
        "X-Bad: a\u{00}b\r\n",
        "X Bad: 1\r\n",
        "X-Bad : 1\r\n",
        ": no-name\r\n",
        "NoColon\r\n",
        "X-Fold: a\r\n  continued\r\n",
        "X-Bad\u{01}: 1\r\n",
    ])
    func invalidHeaderFieldsAre400(_ field: String) {
        let outcome = expectSplitInvariant("GET / HTTP/1.1\r\nHost: h\r\n\(field)\r\n")
        #expect(outcome.error?.status.code == 400, "\(field.debugDescription)")
    }

    @Test func obsTextAndTabsAreAllowedInValues() {
        var bytes = Array("GET / HTTP/1.1\r\nHost: h\r\nX: a\tb ".utf8)
        bytes += [0xC3, 0xA9]
        bytes += Array("\r\n\r\n".utf8)
        #expect(run([bytes]).messages.count == 1)
    }

    @Test func hostIsRequiredOnceInHTTP11() {
        #expect(run("GET / HTTP/1.1\r\n\r\n").error?.status.code == 400)
        #expect(run("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").error?.status.code == 400)
        #expect(run("GET / HTTP/1.0\r\n\r\n").error == nil)
    }

    @Test(arguments: [
        "Content-Length: abc",
        "Content-Length: -1",
        "Content-Length: 1 2",
        "Content-Length: +5",
        "Content-Length:",
        "Content-Length: 5, 6",
        "Content-Length: 5,",
        "Content-Length: 5\r\nContent-Length: 6",
    ])
    func invalidContentLengthIs400(_ field: String) {
        let outcome = run("POST / HTTP/1.1\r\nHost: h\r\n\(field)\r\n\r\nhello")
        #expect(outcome.error?.status.code == 400, "\(field)")
    }

    @Test func identicalDuplicateContentLengthsAreAccepted() {
        let outcome = run("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\nContent-Length: 005\r\n\r\nhello")
        #expect(outcome.error == nil)
        #expect(outcome.messages.first?.body == Array("hello".utf8))
    }

    @Test func contentLengthWithTransferEncodingIs400() {
        let outcome = run(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        )
        #expect(outcome.error?.status.code == 400)
        #expect(outcome.heads == 0)
    }

    @Test func transferEncodingRules() {
        func status(_ te: String, version: String = "HTTP/1.1") -> Int? {
            run("POST / \(version)\r\nHost: h\r\nTransfer-Encoding: \(te)\r\n\r\n0\r\n\r\n").error?.status.code
        }
        #expect(status("chunked") == nil)
        #expect(status("Chunked") == nil)
        #expect(status("gzip, chunked") == 501)
        #expect(status("gzip") == 501)
        #expect(status("chunked, chunked") == 400)
        #expect(status("chunked", version: "HTTP/1.0") == 400)
    }

    @Test(arguments: ["zz", "-1", "0x5", "", ";ext", "5 5", "00000000000000000005"])
    func invalidChunkSizesAre400(_ size: String) {
        let outcome = expectSplitInvariant(
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\(size)\r\nhello\r\n0\r\n\r\n")
        #expect(outcome.error?.status.code == 400, "\(size)")
        #expect(outcome.messages.isEmpty)
    }

    @Test func chunkDataLongerThanItsSizeIs400() {
        let outcome = run("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n")
        #expect(outcome.error?.status.code == 400)
    }

    @Test func headerBlockOverTheLimitIs431() {
        let big = String(repeating: "a", count: 300)
        let outcome = run("GET / HTTP/1.1\r\nHost: h\r\nX: \(big)\r\n\r\n", maxHeaderBytes: 256)
        #expect(outcome.error?.status.code == 431)
        // Also when the terminator never comes: the parser must not buffer without bound.
        var parser = HTTPRequestParser(maxHeaderBytes: 256)
        _ = parser.parse(Array("GET / HTTP/1.1\r\nX: ".utf8))
        var last = HTTPRequestParser.Event.needMoreData
        for _ in 0..<10 { last = parser.parse(Array(repeating: UInt8(ascii: "a"), count: 50)).event }
        #expect(last == .failed(.headersTooLarge))
    }

    @Test func contentLengthOverTheLimitIs413AtTheHead() {
        var parser = HTTPRequestParser(maxBodyBytes: 100)
        let head = Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n".utf8)
        let (consumed, event) = parser.parse(head)
        #expect(event == .failed(.bodyTooLarge))
        #expect(consumed <= head.count)
        #expect(
            run("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n").error == .bodyTooLarge)
    }

    @Test func chunkedBodyGrowingPastTheLimitIs413() {
        let text =
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "a\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n"
        let outcome = expectSplitInvariant(text, maxBodyBytes: 20)
        #expect(outcome.error == .bodyTooLarge)
        let huge = run("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n")
        #expect(huge.error == .bodyTooLarge)
        #expect(expectSplitInvariant(text, maxBodyBytes: 21).messages.first?.body.count == 21)
    }

    @Test func trailersAreBounded() {
        let trailer = "X: " + String(repeating: "t", count: 400) + "\r\n"
        let outcome = run(
            [Array("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\(trailer)\r\n".utf8)],
            maxHeaderBytes: 256)
        #expect(outcome.error?.status.code == 431)
    }

    @Test func expectContinueIsReportedAtTheHead() {
        var parser = HTTPRequestParser()
        let (_, event) = parser.parse(
            Array("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8))
        #expect(event == .headComplete)
        #expect(parser.head?.expectsContinue == true)
        #expect(parser.head?.hasBody == true)
        #expect(run("PUT / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n").error?.status.code == 417)
    }

    @Test func parserNeverConsumesPastTheMessage() {
        var parser = HTTPRequestParser()
        let bytes = Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokEXTRA".utf8)
        var (consumed, event) = parser.parse(bytes)
        #expect(event == .headComplete)
        let rest = Array(bytes[consumed...])
        (consumed, event) = parser.parse(rest)
        #expect(event == .messageComplete)
        #expect(consumed == 2)
    }
}

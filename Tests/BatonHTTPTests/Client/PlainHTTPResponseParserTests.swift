import Testing

@testable import BatonHTTP

/// The plain client's answer parser, fed whole or a byte at a time (as `recv` may return it).
@Suite struct PlainHTTPResponseParserTests {
    /// Feeds `text` in pieces of `step` bytes; the outcome once it is all in, and whether any
    /// earlier piece already completed it.
    static func parse(_ text: String, limit: Int = 1000, step: Int, closeAtEnd: Bool = false)
        -> (PlainHTTPResponseParser.Outcome, early: Bool)
    {
        var parser = PlainHTTPResponseParser(limit: limit)
        let bytes = Array(text.utf8)
        var early = false
        var outcome = PlainHTTPResponseParser.Outcome.needMore
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + step)
            parser.append(Array(bytes[start..<end]))
            outcome = parser.advance()
            if case .needMore = outcome {} else if end < bytes.count { early = true }
            start = end
        }
        if closeAtEnd { outcome = parser.finish() }
        return (outcome, early)
    }

    static func response(_ outcome: PlainHTTPResponseParser.Outcome) -> (HTTPClientResponse, Bool)? {
        if case .complete(let response, let keepAlive) = outcome { return (response, keepAlive) }
        return nil
    }

    static func error(_ outcome: PlainHTTPResponseParser.Outcome) -> HTTPClientError? {
        if case .failed(let error) = outcome { return error }
        return nil
    }

    @Test(arguments: [1, 3, 7, 4096])
    func framingsByPiece(step: Int) throws {
        let fixed = Self.parse("HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A:  b \r\n\r\nhello", step: step)
        let (response, keepAlive) = try #require(Self.response(fixed.0))
        #expect(response.status == 201 && response.text == "hello" && keepAlive && !fixed.early)
        #expect(response.headers["X-A"] == "b")

        let chunked = Self.parse(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0a\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
            step: step)
        let (stream, streamKeepAlive) = try #require(Self.response(chunked.0))
        #expect(stream.text == "abc0123456789" && streamKeepAlive && !chunked.early)

        let closing = Self.parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", step: step)
        #expect(Self.response(closing.0)?.1 == false)

        let empty = Self.parse("HTTP/1.1 204 No Content\r\n\r\n", step: step)
        #expect(Self.response(empty.0)?.0.body == [])

        // No length: the body runs to the end of the connection, which is not kept.
        let open = Self.parse("HTTP/1.1 200 OK\r\n\r\nuntil the end", step: step)
        guard case .needMore = open.0 else {
            Issue.record("complete before the end: \(open.0)")
            return
        }
        let ended = Self.parse("HTTP/1.1 200 OK\r\n\r\nuntil the end", step: step, closeAtEnd: true)
        #expect(Self.response(ended.0)?.0.text == "until the end" && Self.response(ended.0)?.1 == false)
    }

    @Test func malformedAndOversizeAnswersFail() {
        let cases: [(String, HTTPClientError)] = [
            (
                "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello",
                .transport(code: -1, message: "a bad Content-Length")
            ),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", .responseTooLarge(limit: 1000)),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
                .transport(code: -1, message: "a bad chunk size")
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nhello\r\n",
                .responseTooLarge(limit: 1000)
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n",
                .transport(code: -1, message: "a chunk longer than its size")
            ),
            ("SSH-2.0-OpenSSH\r\n\r\n", .transport(code: -1, message: "not an HTTP/1.1 answer")),
            ("HTTP/1.1 2000 OK\r\n\r\n", .transport(code: -1, message: "not an HTTP/1.1 answer")),
            ("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 1001), .responseTooLarge(limit: 1000)),
        ]
        for (text, expected) in cases {
            #expect(Self.error(Self.parse(text, step: 5).0) == expected, "\(text.prefix(60))")
        }
        // A head that never ends is refused once it passes 64 KiB, not buffered without end.
        let endless = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Long: yes\r\n", count: 6000)
        #expect(
            Self.error(Self.parse(endless, step: 4096).0) == .transport(code: -1, message: "an answer head over 64 KiB")
        )
    }

    @Test func anAnswerCutShortFails() {
        for text in [
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel", "HTTP/1.1 200 OK\r\nContent-",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        ] {
            #expect(
                Self.error(Self.parse(text, step: 2, closeAtEnd: true).0)
                    == .transport(code: -1, message: "the connection closed mid-answer"))
        }
    }
}

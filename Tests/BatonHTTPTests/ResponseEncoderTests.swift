import Testing

@testable import BatonHTTP

@Suite struct ResponseEncoderTests {
    private func head(
        _ status: HTTPStatus = .ok, _ headers: HTTPHeaders = [:], framing: ResponseEncoder.Framing,
        connection: ResponseEncoder.ConnectionField = .none
    ) -> String {
        var out: [UInt8] = []
        ResponseEncoder.writeHead(
            into: &out, status: status, headers: headers, framing: framing, connection: connection,
            date: Array("Date: D\r\n".utf8))
        return String(decoding: out, as: UTF8.self)
    }

    @Test func headWithLength() {
        #expect(
            head(.ok, ["Content-Type": "text/plain"], framing: .length(1234))
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: D\r\nContent-Length: 1234\r\n\r\n")
    }

    @Test func headChunkedAndClosing() {
        #expect(
            head(.notFound, framing: .chunked, connection: .close)
                == "HTTP/1.1 404 Not Found\r\nDate: D\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        #expect(
            head(.noContent, framing: .none, connection: .keepAlive)
                == "HTTP/1.1 204 No Content\r\nDate: D\r\nConnection: keep-alive\r\n\r\n")
        #expect(
            head(HTTPStatus(code: 299, reason: "Odd\r\nX: y"), framing: .length(0)).hasPrefix(
                "HTTP/1.1 299 OddX: y\r\n"))
    }

    @Test func serverOwnedAndUnsafeFieldsAreDropped() {
        let text = head(
            .ok,
            [
                "content-length": "5", "TRANSFER-ENCODING": "chunked", "Connection": "keep-alive", "Date": "x",
                "X-Split": "a\r\nb", "X-Ok": "fine",
            ], framing: .length(0))
        #expect(text == "HTTP/1.1 200 OK\r\nX-Ok: fine\r\nDate: D\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func chunkFraming() {
        var out: [UInt8] = []
        ResponseEncoder.writeChunk(Array(repeating: 65, count: 26), into: &out)
        ResponseEncoder.writeChunk([], into: &out)
        ResponseEncoder.writeLastChunk(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "1a\r\n" + String(repeating: "A", count: 26) + "\r\n0\r\n\r\n")
    }

    @Test(arguments: [(0, "0"), (9, "9"), (10, "10"), (1_048_576, "1048576"), (Int.max, "\(Int.max)")])
    func decimal(_ value: Int, _ text: String) {
        var out: [UInt8] = []
        ResponseEncoder.appendDecimal(value, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == text)
    }

    @Test(arguments: [(0, "0"), (15, "f"), (16, "10"), (65536, "10000")])
    func hex(_ value: Int, _ text: String) {
        var out: [UInt8] = []
        ResponseEncoder.appendHex(value, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == text)
    }

    @Test func asksToClose() {
        #expect(ResponseEncoder.asksToClose(["Connection": "Close"]))
        #expect(ResponseEncoder.asksToClose(["connection": "upgrade, close"]))
        #expect(!ResponseEncoder.asksToClose(["Connection": "keep-alive"]))
    }

    @Test func statusesWithoutBody() {
        #expect(ResponseEncoder.statusHasNoBody(100))
        #expect(ResponseEncoder.statusHasNoBody(204))
        #expect(ResponseEncoder.statusHasNoBody(304))
        #expect(!ResponseEncoder.statusHasNoBody(200))
    }
}

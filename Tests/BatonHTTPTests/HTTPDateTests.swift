import Testing

@testable import BatonHTTP

@Suite struct HTTPDateTests {
    @Test func imfFixdate() {
        // RFC 9110's own example.
        #expect(HTTPDateCache.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDateCache.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func cacheBuildsAHeaderLine() {
        var cache = HTTPDateCache()
        cache.update()
        let line = String(decoding: cache.line, as: UTF8.self)
        #expect(line.hasPrefix("Date: "))
        #expect(line.hasSuffix(" GMT\r\n"))
        #expect(line.count == "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n".count)
    }
}

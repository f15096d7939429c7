import Synchronization
import Testing

@testable import BatonHTTP

@Suite struct AccessLogMiddlewareTests {
    @Test func writesOneLinePerRequestWithoutTheQuery() async {
        let lines = Lines()
        let b = RouterBuilder()
        b.use(RequestIDMiddleware())
        b.use(AccessLogMiddleware(sink: { lines.append($0) }))
        b.get("/a") { _, _ in .text(.ok, "a") }
        let r = b.build()
        _ = await r.respond(
            to: HTTPRequest(
                method: .get, target: "/a?token=secret", headers: ["X-Request-Id": "rid-1"],
                remoteAddress: "127.0.0.1:5000"))
        _ = await r.respond(to: HTTPRequest(method: .post, target: "/a"))
        let got = lines.all
        #expect(got.count == 2)
        #expect(got[0].hasPrefix("GET /a 200 "))
        #expect(got[0].hasSuffix("ms id=rid-1 from=127.0.0.1:5000"))
        #expect(!got[0].contains("secret"))
        #expect(got[1].hasPrefix("POST /a 405 "))
    }
}

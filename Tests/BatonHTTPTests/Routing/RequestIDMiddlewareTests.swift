import Testing

@testable import BatonHTTP

@Suite struct RequestIDMiddlewareTests {
    static let router: Router = {
        let b = RouterBuilder()
        b.use(RequestIDMiddleware())
        b.get("/id") { _, context in .text(.ok, context.requestID) }
        b.get("/fail") { _, _ in throw HTTPError.badRequest("no") }
        return b.build()
    }()

    @Test func echoesAnAcceptableClientID() async {
        let r = await Self.router.respond(
            to: HTTPRequest(method: .get, target: "/id", headers: ["X-Request-Id": "abc-123"]))
        #expect(r.headers["X-Request-Id"] == "abc-123")
        #expect(RouterTests.text(r) == "abc-123")
    }

    @Test func replacesUnacceptableIDs() async {
        for bad in ["", String(repeating: "a", count: 129), "has space", "tab\there", "é"] {
            let r = await Self.router.respond(
                to: HTTPRequest(method: .get, target: "/id", headers: ["X-Request-Id": bad]))
            let id = r.headers["X-Request-Id"] ?? ""
            #expect(id != bad && !id.isEmpty)
        }
    }

    @Test func generatesUniqueIDsAndTagsErrorsAndMissingRoutes() async {
        let a = await Self.router.respond(to: HTTPRequest(method: .get, target: "/id"))
        let b = await Self.router.respond(to: HTTPRequest(method: .get, target: "/id"))
        #expect(a.headers["X-Request-Id"] != b.headers["X-Request-Id"])
        let failed = await Self.router.respond(to: HTTPRequest(method: .get, target: "/fail"))
        #expect(failed.status == .badRequest && failed.headers["X-Request-Id"] != nil)
        let missing = await Self.router.respond(to: HTTPRequest(method: .get, target: "/nope"))
        #expect(missing.status == .notFound && missing.headers["X-Request-Id"] != nil)
    }

    @Test func acceptsExactlyVisibleASCIIUpTo128() async {
        let longest = String(repeating: "z", count: 128)
        for good in [longest, "!", "~a~", "0123456789abcdef"] {
            let r = await Self.router.respond(
                to: HTTPRequest(method: .get, target: "/id", headers: ["X-Request-Id": good]))
            #expect(r.headers["X-Request-Id"] == good)
        }
        for bad in ["a\u{7F}", "a\u{01}", "line\nbreak", "nul\u{0}"] {
            let r = await Self.router.respond(
                to: HTTPRequest(method: .get, target: "/id", headers: ["X-Request-Id": bad]))
            #expect(r.headers["X-Request-Id"] != bad)
        }
    }

    @Test func optionsAnswersCarryTheID() async {
        let r = await Self.router.respond(
            to: HTTPRequest(method: .options, target: "/id", headers: ["X-Request-Id": "opt-1"]))
        #expect(r.status == .noContent && r.headers["X-Request-Id"] == "opt-1")
    }

    @Test func newIDsAreTheProcessPrefixAndAHexCounter() {
        let first = RequestIDMiddleware.generate()
        let prefix = String(first.prefix(17))
        #expect(prefix.utf8.count == 17 && prefix.hasSuffix("-"))
        #expect(prefix.dropLast().allSatisfy { $0.isHexDigit && !$0.isUppercase })
        let second = RequestIDMiddleware.generate()
        #expect(second.hasPrefix(prefix))
        let a = UInt64(first.dropFirst(17), radix: 16)
        let b = UInt64(second.dropFirst(17), radix: 16)
        #expect(a != nil && b != nil && b! > a!)
        for n: UInt64 in [0, 1, 9, 10, 15, 16, 255, 0xABCDEF, 1 << 60, UInt64.max] {
            #expect(RequestIDMiddleware.format(n) == prefix + String(n, radix: 16))
        }
    }
}

import Testing

@testable import BatonHTTP

@Suite struct HTTPResponseErrorTests {
    static func text(_ e: any HTTPResponseError) -> String { RouterTests.text(e.response) }

    @Test func rendersErrorAndCode() {
        #expect(
            Self.text(HTTPError.badRequest("bad \"quote\"\n")) == #"{"error":"bad \"quote\"\n","code":"bad_request"}"#)
    }

    @Test func rendersDetailsWithSortedKeys() {
        let e = HTTPError.badRequest("invalid overlay", details: ["z": "last", "a": "first \\ slash"])
        #expect(
            Self.text(e)
                == #"{"error":"invalid overlay","code":"bad_request","details":{"a":"first \\ slash","z":"last"}}"#)
    }

    @Test func carriesStatusAndHeaders() {
        let e = HTTPError.serviceUnavailable("no eligible worker", retryAfter: 5)
        #expect(e.response.status == .serviceUnavailable)
        #expect(e.response.headers["Retry-After"] == "5")
        #expect(e.response.headers["Content-Type"] == "application/json")
        #expect(HTTPError.unprocessable("no").status.code == 422)
        #expect(HTTPError.forbidden().status.code == 403)
        #expect(HTTPError.unsupportedMediaType().status.code == 415)
    }

    struct Custom: HTTPResponseError {
        var status: HTTPStatus { .locked }
        var code: String { "killswitch_active" }
        var message: String { "the killswitch is at level 2" }
    }

    @Test func customErrorsUseTheDefaults() {
        #expect(Self.text(Custom()) == #"{"error":"the killswitch is at level 2","code":"killswitch_active"}"#)
        #expect(Custom().response.status.code == 423)
    }
}

import Testing

@testable import BatonHTTP

/// A chain answers synchronously while its layers' steps and its handler can, hands over to the
/// async chain where one cannot, and both ways give the same answer with every step run once.
@Suite struct MiddlewareChainTests {
    /// Logs `name>` before and `<name status` after, and tags the response. A request naming it in
    /// `X-Decline` makes its `before` decline, so `handle` (logging `name~>`) runs instead; naming
    /// it in `X-Refuse` makes it answer 403.
    struct Step: HTTPStepMiddleware {
        let name: String
        let order: Lines

        func before(_ request: HTTPRequest, context: inout RequestContext) throws -> Bool {
            if request.headers["X-Decline"] == name { return false }
            try enter(request, &context, marker: ">")
            return true
        }

        func after(_ request: HTTPRequest, context: RequestContext, response: inout HTTPResponse) {
            order.append("<\(name) \(response.status.code) \(context.requestID)")
            response.headers.add("X-Tag", name)
        }

        func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
            var context = context
            // "~>" marks the handle a declining before handed over to.
            try enter(request, &context, marker: request.headers["X-Decline"] == name ? "~>" : ">")
            await Task.yield()
            var response = try await next(request, context)
            after(request, context: context, response: &response)
            return response
        }

        private func enter(_ request: HTTPRequest, _ context: inout RequestContext, marker: String) throws {
            order.append(name + marker)
            if request.headers["X-Refuse"] == name { throw HTTPError.forbidden("refused by \(name)") }
            context.requestID += name
        }
    }

    struct Failure: Error {}

    static func text(_ response: HTTPResponse) -> String {
        if case .bytes(let b) = response.body { return String(decoding: b, as: UTF8.self) }
        return ""
    }

    /// Two global steps; `/sync` answers synchronously, `/async` suspends, `/fail` throws a
    /// non-HTTP error, `/plain` has a plain (async-only) middleware inside the steps.
    static func makeRouter(order: Lines, log: Lines) -> Router {
        let b = RouterBuilder(log: { log.append($0) })
        b.use(Step(name: "a", order: order))
        b.use(Step(name: "b", order: order))
        b.get(
            "/sync",
            synchronous: { request, context in
                order.append("handler")
                return .text(.ok, "sync \(context.requestID) \(request.path)")
            })
        b.get("/async") { request, context in
            await Task.yield()
            order.append("handler")
            return .text(.accepted, "async \(context.requestID) \(request.path)")
        }
        b.get("/fail", synchronous: { _, _ in throw Failure() })
        // Answers at once unless the request says `X-Busy` (a resource it needs is taken), when
        // its async handler answers instead.
        b.get(
            "/attempt",
            trying: { request, context in
                guard request.headers["X-Busy"] == nil else { return nil }
                order.append("attempt")
                return .text(.ok, "attempt \(context.requestID)")
            },
            otherwise: { _, context in
                await Task.yield()
                order.append("otherwise")
                return .text(.ok, "otherwise \(context.requestID)")
            })
        b.get(
            "/plain", middleware: [RouterTests.Tag(name: "plain", order: order)],
            synchronous: { _, _ in
                order.append("handler")
                return .text(.ok, "plain")
            })
        return b.build()
    }

    struct Outcome: Equatable {
        let status: Int
        let headers: [String]
        let body: String
        let order: [String]
        let log: [String]
    }

    /// The request answered through `respondImmediately` (noting whether it was ready) and through
    /// the async chains alone, each on a fresh router.
    static func bothWays(_ request: HTTPRequest) async -> (ready: Bool, immediate: Outcome, async: Outcome) {
        func outcome(_ response: HTTPResponse, _ order: Lines, _ log: Lines) -> Outcome {
            Outcome(
                status: response.status.code, headers: response.headers.map { "\($0.name): \($0.value)" },
                body: text(response), order: order.all, log: log.all)
        }
        let (order1, log1) = (Lines(), Lines())
        let answer = makeRouter(order: order1, log: log1).respondImmediately(to: request)
        var ready = false
        if case .ready = answer { ready = true }
        let immediate = outcome(await answer.response(), order1, log1)
        let (order2, log2) = (Lines(), Lines())
        let response = await makeRouter(order: order2, log: log2).respondAsynchronously(to: request)
        return (ready, immediate, outcome(response, order2, log2))
    }

    @Test func stepsAndASynchronousHandlerAnswerAtOnceAlikeTheAsyncChain() async {
        let (ready, immediate, async) = await Self.bothWays(HTTPRequest(method: .get, target: "/sync"))
        #expect(ready)
        #expect(immediate == async)
        #expect(immediate.status == 200)
        #expect(immediate.body == "sync ab /sync")
        #expect(immediate.headers == ["Content-Type: text/plain; charset=utf-8", "X-Tag: b", "X-Tag: a"])
        // Each layer's after sees the context it handed on.
        #expect(immediate.order == ["a>", "b>", "handler", "<b 200 ab", "<a 200 a"])
    }

    @Test func aSuspendingHandlerIsPendingAfterTheStepsAndAnswersAlike() async {
        let (ready, immediate, async) = await Self.bothWays(HTTPRequest(method: .get, target: "/async"))
        #expect(!ready)
        #expect(immediate == async)
        #expect(immediate.status == 202)
        #expect(immediate.order == ["a>", "b>", "handler", "<b 202 ab", "<a 202 a"])
    }

    /// An attempt that answers is as synchronous as a synchronous handler.
    @Test func anAttemptThatAnswersIsReady() async {
        let (ready, immediate, async) = await Self.bothWays(HTTPRequest(method: .get, target: "/attempt"))
        #expect(ready)
        #expect(immediate == async)
        #expect(immediate.body == "attempt ab")
        #expect(immediate.order == ["a>", "b>", "attempt", "<b 200 ab", "<a 200 a"])
    }

    /// An attempt that declines hands over to the async handler inside the layers already
    /// entered: every step runs once, and the answer is the async chain's.
    @Test func anAttemptThatDeclinesHandsOverToItsAsyncHandler() async {
        let request = HTTPRequest(method: .get, target: "/attempt", headers: ["X-Busy": "1"])
        let (ready, immediate, async) = await Self.bothWays(request)
        #expect(!ready)
        #expect(immediate == async)
        #expect(immediate.body == "otherwise ab")
        #expect(immediate.order == ["a>", "b>", "otherwise", "<b 200 ab", "<a 200 a"])
        #expect(immediate.headers == ["Content-Type: text/plain; charset=utf-8", "X-Tag: b", "X-Tag: a"])
    }

    @Test func aDecliningStepHandsOverWithEveryStepRunOnce() async {
        let request = HTTPRequest(method: .get, target: "/sync", headers: ["X-Decline": "b"])
        let (ready, immediate, _) = await Self.bothWays(request)
        #expect(!ready)
        // a's before ran synchronously, b took its async handle, and a's after followed it.
        #expect(immediate.order == ["a>", "b~>", "handler", "<b 200 ab", "<a 200 a"])
        #expect(immediate.body == "sync ab /sync")
        #expect(immediate.headers == ["Content-Type: text/plain; charset=utf-8", "X-Tag: b", "X-Tag: a"])
    }

    @Test func aPlainMiddlewareMakesTheRestAsync() async {
        let (ready, immediate, async) = await Self.bothWays(HTTPRequest(method: .get, target: "/plain"))
        #expect(!ready)
        #expect(immediate == async)
        #expect(immediate.order == ["a>", "b>", "plain>", "handler", "<plain", "<b 200 ab", "<a 200 a"])
    }

    @Test func aRefusingStepIsRenderedForTheLayersOutsideIt() async {
        let request = HTTPRequest(method: .get, target: "/sync", headers: ["X-Refuse": "b"])
        let (ready, immediate, async) = await Self.bothWays(request)
        #expect(ready)
        #expect(immediate == async)
        #expect(immediate.status == 403)
        #expect(immediate.body == #"{"error":"refused by b","code":"forbidden"}"#)
        // The handler and b's after never ran; a saw the 403.
        #expect(immediate.order == ["a>", "b>", "<a 403 a"])
        #expect(immediate.headers == ["Content-Type: application/json", "X-Tag: a"])
    }

    @Test func anUnexpectedErrorIsA500AndALogLineBothWays() async {
        let (ready, immediate, async) = await Self.bothWays(HTTPRequest(method: .get, target: "/fail"))
        #expect(ready)
        #expect(immediate == async)
        #expect(immediate.status == 500)
        #expect(immediate.body == #"{"error":"internal server error","code":"internal_error"}"#)
        #expect(immediate.log.count == 1)
        #expect(immediate.log.first?.contains("GET /fail request_id=ab failed") == true)
    }

    @Test func routingAnswersAreReadyThroughTheSteps() async {
        for (request, status) in [
            (HTTPRequest(method: .get, target: "/missing"), 404),
            (HTTPRequest(method: .delete, target: "/sync"), 405),
            (HTTPRequest(method: .options, target: "/sync"), 204),
            (HTTPRequest(method: .options, target: "*"), 204),
        ] {
            let (ready, immediate, async) = await Self.bothWays(request)
            #expect(ready)
            #expect(immediate == async)
            #expect(immediate.status == status)
            #expect(immediate.order == ["a>", "b>", "<b \(status) ab", "<a \(status) a"])
        }
    }

    @Test func headTakesTheGetRoutesSynchronousHandler() async {
        let (ready, immediate, async) = await Self.bothWays(HTTPRequest(method: .head, target: "/sync"))
        #expect(ready)
        #expect(immediate == async)
        #expect(immediate.body == "sync ab /sync")
    }
}

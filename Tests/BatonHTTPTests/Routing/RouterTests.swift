import Synchronization
import Testing

@testable import BatonHTTP

@Suite struct RouterTests {
    static func text(_ response: HTTPResponse) -> String {
        if case .bytes(let b) = response.body { return String(decoding: b, as: UTF8.self) }
        return ""
    }

    static func ok(_ label: String) -> HTTPHandler {
        { _, context in
            .text(
                .ok,
                label
                    + (context.parameters.isEmpty
                        ? ""
                        : " "
                            + context.parameters.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: ","))
            )
        }
    }

    static func makeRouter() -> Router {
        let b = RouterBuilder()
        b.get("/api/v1/state", handler: ok("state"))
        b.get("/api/v1/:id", handler: ok("issue"))
        b.post("/api/v1/:id/steer", handler: ok("steer"))
        b.delete("/api/v1/templates/:id", handler: ok("delete-template"))
        b.put("/api/v1/templates/:id", handler: ok("put-template"))
        return b.build()
    }

    @Test func dispatchesByMethodAndPath() async {
        let r = Self.makeRouter()
        #expect(Self.text(await r.respond(to: HTTPRequest(method: .get, target: "/api/v1/state"))) == "state")
        #expect(
            Self.text(await r.respond(to: HTTPRequest(method: .get, target: "/api/v1/ENG-1?x=1"))) == "issue id=ENG-1")
        #expect(
            Self.text(await r.respond(to: HTTPRequest(method: .post, target: "/api/v1/ENG-1/steer")))
                == "steer id=ENG-1")
    }

    @Test func unknownPathIs404InTheErrorShape() async {
        let response = await Self.makeRouter().respond(to: HTTPRequest(method: .get, target: "/x/y"))
        #expect(response.status == .notFound)
        #expect(Self.text(response) == #"{"error":"no route for GET /x/y","code":"not_found"}"#)
        #expect(response.headers["Content-Type"] == "application/json")
    }

    @Test func wrongMethodIs405WithASortedAllow() async {
        let response = await Self.makeRouter().respond(to: HTTPRequest(method: .post, target: "/api/v1/templates/t1"))
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == "DELETE, OPTIONS, PUT")
        #expect(Self.text(response).contains(#""code":"method_not_allowed""#))
        let get = await Self.makeRouter().respond(to: HTTPRequest(method: .delete, target: "/api/v1/state"))
        #expect(get.headers["Allow"] == "GET, HEAD, OPTIONS")
    }

    @Test func headIsServedByGet() async {
        let response = await Self.makeRouter().respond(to: HTTPRequest(method: .head, target: "/api/v1/state"))
        #expect(response.status == .ok)
        #expect(Self.text(response) == "state")  // the server drops the body for HEAD
    }

    @Test func optionsAnswers204WithAllow() async {
        let response = await Self.makeRouter().respond(to: HTTPRequest(method: .options, target: "/api/v1/ENG-1/steer"))
        #expect(response.status == .noContent)
        #expect(response.headers["Allow"] == "OPTIONS, POST")
    }

    @Test func thrownHTTPErrorsRenderThemselves() async {
        let b = RouterBuilder()
        b.get("/conflict") { _, _ in throw HTTPError.conflict("the job has completed") }
        b.get("/limited") { _, _ in throw HTTPError.tooManyRequests(retryAfter: 7) }
        let r = b.build()
        let conflict = await r.respond(to: HTTPRequest(method: .get, target: "/conflict"))
        #expect(conflict.status == .conflict)
        #expect(Self.text(conflict) == #"{"error":"the job has completed","code":"conflict"}"#)
        let limited = await r.respond(to: HTTPRequest(method: .get, target: "/limited"))
        #expect(limited.status == .tooManyRequests)
        #expect(limited.headers["Retry-After"] == "7")
    }

    struct Secret: Error, CustomStringConvertible {
        var description: String { "database password is hunter2" }
    }

    @Test func unexpectedErrorsBecome500WithoutLeakingAndAreLogged() async {
        let lines = Lines()
        let b = RouterBuilder(log: { lines.append($0) })
        b.get("/boom") { _, _ in throw Secret() }
        let response = await b.build().respond(to: HTTPRequest(method: .get, target: "/boom"))
        #expect(response.status == .internalServerError)
        #expect(Self.text(response) == #"{"error":"internal server error","code":"internal_error"}"#)
        #expect(!Self.text(response).contains("hunter2"))
        #expect(lines.all.count == 1 && lines.all[0].contains("hunter2") && lines.all[0].contains("/boom"))
    }

    struct Tag: HTTPMiddleware {
        let name: String
        let order: Lines
        func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
            order.append(name + ">")
            var response = try await next(request, context)
            order.append("<" + name)
            response.headers.add("X-Tag", name)
            return response
        }
    }

    @Test func middlewareRunsGlobalThenGroupThenRoute() async {
        let order = Lines()
        let b = RouterBuilder()
        let api = b.group("/api", middleware: [Tag(name: "group", order: order)])
        api.get("/x", middleware: [Tag(name: "route", order: order)]) { _, _ in
            order.append("handler")
            return .text(.ok, "x")
        }
        // Global middleware applies to routes registered before it too.
        b.use(Tag(name: "global", order: order))
        let response = await b.build().respond(to: HTTPRequest(method: .get, target: "/api/x"))
        #expect(order.all == ["global>", "group>", "route>", "handler", "<route", "<group", "<global"])
        #expect(response.headers.values(for: "X-Tag") == ["route", "group", "global"])
    }

    @Test func globalMiddlewareWrapsRoutingErrors() async {
        let order = Lines()
        let b = RouterBuilder()
        b.use(Tag(name: "global", order: order))
        b.get("/a", handler: Self.ok("a"))
        let r = b.build()
        let missing = await r.respond(to: HTTPRequest(method: .get, target: "/b"))
        #expect(missing.status == .notFound)
        #expect(missing.headers["X-Tag"] == "global")
        let wrong = await r.respond(to: HTTPRequest(method: .put, target: "/a"))
        #expect(wrong.status == .methodNotAllowed)
        #expect(wrong.headers["X-Tag"] == "global")
    }

    struct Refuse: HTTPMiddleware {
        func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
            throw HTTPError.unauthorized()
        }
    }

    @Test func outerMiddlewareSeesTheStatusOfAnErrorThrownInside() async {
        let order = Lines()
        let b = RouterBuilder()
        b.use(Tag(name: "outer", order: order))
        b.use(Refuse())
        b.get("/a", handler: Self.ok("a"))
        let response = await b.build().respond(to: HTTPRequest(method: .get, target: "/a"))
        #expect(response.status == .unauthorized)
        #expect(response.headers["X-Tag"] == "outer")
        #expect(response.headers["WWW-Authenticate"] == "Bearer")
    }

    enum UserKey: ContextKey { typealias Value = String }

    struct SetUser: HTTPMiddleware {
        func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
            var context = context
            context.storage[UserKey.self] = "alice"
            return try await next(request, context)
        }
    }

    @Test func contextStorageCarriesTypedValuesToHandlers() async {
        let b = RouterBuilder()
        b.use(SetUser())
        b.get("/me") { _, context in .text(.ok, context.storage[UserKey.self] ?? "nobody") }
        b.get("/route/:name") { _, context in .text(.ok, context.route) }
        let r = b.build()
        #expect(Self.text(await r.respond(to: HTTPRequest(method: .get, target: "/me"))) == "alice")
        #expect(Self.text(await r.respond(to: HTTPRequest(method: .get, target: "/route/x"))) == "/route/:name")
    }

    @Test func operationsAreListedInOpenAPIForm() {
        let b = RouterBuilder()
        b.get("/api/v1/:id", handler: Self.ok(""))
        b.post("/api/v1/:id/steer", handler: Self.ok(""))
        b.get("/files/*", handler: Self.ok(""))
        let ops = b.build().operations.map { "\($0.method.rawValue) \($0.path)" }
        #expect(ops == ["GET /api/v1/{id}", "POST /api/v1/{id}/steer", "GET /files/{path}"])
    }

    @Test func optionsAnswersGoThroughGlobalMiddleware() async {
        let order = Lines()
        let b = RouterBuilder()
        b.use(Tag(name: "global", order: order))
        b.use(RequestIDMiddleware())
        b.get("/a", handler: Self.ok("a"))
        let response = await b.build().respond(to: HTTPRequest(method: .options, target: "/a"))
        #expect(response.status == .noContent)
        #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS")
        #expect(response.headers["X-Tag"] == "global")
        #expect(response.headers["X-Request-Id"] != nil)
    }

    @Test func optionsAsteriskListsEveryMethod() async {
        let response = await Self.makeRouter().respond(to: HTTPRequest(method: .options, target: "*"))
        #expect(response.status == .noContent)
        #expect(response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, POST, PUT")
        let get = await Self.makeRouter().respond(to: HTTPRequest(method: .get, target: "*"))
        #expect(get.status == .notFound)
    }

    @Test func registeredHeadAndOptionsHandlersWin() async {
        let b = RouterBuilder()
        b.get("/a", handler: Self.ok("get"))
        b.on(.head, "/a", handler: Self.ok("head"))
        b.on(.options, "/a") { _, _ in HTTPResponse(status: .ok, headers: ["Allow": "custom"]) }
        let r = b.build()
        #expect(Self.text(await r.respond(to: HTTPRequest(method: .head, target: "/a"))) == "head")
        #expect(await r.respond(to: HTTPRequest(method: .options, target: "/a")).headers["Allow"] == "custom")
    }

    struct SeeRoute: HTTPMiddleware {
        let seen: Lines
        func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
            seen.append(context.route)
            return try await next(request, context)
        }
    }

    @Test func middlewareSeesTheMatchedPatternOrTheUnmatchedLabel() async {
        let seen = Lines()
        let b = RouterBuilder()
        b.use(SeeRoute(seen: seen))
        b.get("/api/v1/:id", handler: Self.ok(""))
        let r = b.build()
        _ = await r.respond(to: HTTPRequest(method: .get, target: "/api/v1/ENG-1"))
        _ = await r.respond(to: HTTPRequest(method: .head, target: "/api/v1/ENG-2"))
        _ = await r.respond(to: HTTPRequest(method: .post, target: "/api/v1/ENG-3"))
        _ = await r.respond(to: HTTPRequest(method: .get, target: "/elsewhere/\(UInt64.random(in: 0...UInt64.max))"))
        #expect(seen.all == ["/api/v1/:id", "/api/v1/:id", "<unmatched>", "<unmatched>"])
    }

    @Test func contextCarriesThePeerAndPercentDecodedParameters() async {
        let b = RouterBuilder()
        b.get("/api/v1/:id") { _, context in .text(.ok, context.remoteAddress + " " + (context.parameter("id") ?? "")) }
        let response = await b.build().respond(
            to: HTTPRequest(method: .get, target: "/api/v1/ENG%2D7%20x", remoteAddress: "10.0.0.1:4"))
        #expect(Self.text(response) == "10.0.0.1:4 ENG-7 x")
    }

    @Test func chainsAreComposedAtBuildTimeOnly() async {
        let composed = Lines()
        let b = RouterBuilder()
        b.chainComposed = { composed.append("chain") }
        b.use(Tag(name: "global", order: Lines()))
        b.get("/a", handler: Self.ok("a"))
        b.group("/g", middleware: [Tag(name: "group", order: Lines())]).post("/b", handler: Self.ok("b"))
        let r = b.build()
        // One chain per route plus the shared 404/405/OPTIONS chain.
        #expect(composed.all.count == 3)
        for _ in 0..<20 {
            _ = await r.respond(to: HTTPRequest(method: .get, target: "/a"))
            _ = await r.respond(to: HTTPRequest(method: .post, target: "/g/b"))
            _ = await r.respond(to: HTTPRequest(method: .get, target: "/missing"))
            _ = await r.respond(to: HTTPRequest(method: .options, target: "/a"))
        }
        #expect(composed.all.count == 3)
    }

    @Test func notFoundWithoutAMessageRenders() async {
        let b = RouterBuilder()
        b.get("/x") { _, _ in throw HTTPError.notFound }
        let response = await b.build().respond(to: HTTPRequest(method: .get, target: "/x"))
        #expect(response.status == .notFound)
        #expect(Self.text(response) == #"{"error":"no such resource","code":"not_found"}"#)
    }

    @Test func routeLabelIsCanonicalWhateverTheGroupSpelling() async {
        let b = RouterBuilder()
        b.group("/api/").get("/x/:id/") { _, context in .text(.ok, context.route) }
        let response = await b.build().respond(to: HTTPRequest(method: .get, target: "/api/x/1"))
        #expect(Self.text(response) == "/api/x/:id")
    }

    final class Asked: Sendable {
        let routes = Mutex<[String]>([])
    }

    /// Stamps `X-Layer` with the route it was made for (`forRoute`), or "unspecialised".
    struct RouteStamp: HTTPStepMiddleware {
        var route: String? = nil
        let asked: Asked?

        func forRoute(method: HTTPMethod, route: String) -> any HTTPMiddleware {
            asked?.routes.withLock { $0.append("\(method.rawValue) \(route)") }
            return RouteStamp(route: "\(method.rawValue) \(route)", asked: nil)
        }

        func before(_ request: HTTPRequest, context: inout RequestContext) -> Bool { true }

        func after(_ request: HTTPRequest, context: RequestContext, response: inout HTTPResponse) {
            response.headers.replace("X-Layer", route ?? "unspecialised")
        }
    }

    /// Each route's middleware is made for it once, when the router is built, from the pattern as
    /// `context.route` names it; HEAD runs GET's, and the 404/405 answers the middleware as given.
    @Test func middlewareIsMadeForEachRouteAtBuild() async {
        let asked = Asked()
        let b = RouterBuilder()
        b.use(RouteStamp(asked: asked))
        b.get("/api//jobs/:id/", handler: Self.ok("job"))
        b.post("/api/jobs/:id", handler: Self.ok("change"))
        b.get("/files/*rest", handler: Self.ok("file"))
        let router = b.build()
        #expect(asked.routes.withLock { $0 } == ["GET /api/jobs/:id", "POST /api/jobs/:id", "GET /files/*rest"])
        let stamps = [
            (HTTPMethod.get, "/api/jobs/7"), (.head, "/api/jobs/7"), (.post, "/api/jobs/7"), (.get, "/files/a/b"),
            (.get, "/nothing"), (.delete, "/api/jobs/7"),
        ].map { method, target in
            router.respondImmediately(to: HTTPRequest(method: method, target: target))
        }
        var headers: [String?] = []
        for answer in stamps { headers.append(await answer.response().headers["X-Layer"]) }
        #expect(
            headers == [
                "GET /api/jobs/:id", "GET /api/jobs/:id", "POST /api/jobs/:id", "GET /files/*rest", "unspecialised",
                "unspecialised",
            ])
        #expect(asked.routes.withLock { $0 }.count == 3)
    }
}

import Synchronization

/// Gives every request an id, echoed in `X-Request-Id`: the client's own when it is 1–128 visible
/// ASCII characters, else a new one. New ids are a random per-process prefix plus a counter: unique,
/// and cheap enough for every request.
public struct RequestIDMiddleware: HTTPMiddleware {
    private static let prefix: String = {
        var rng = SystemRandomNumberGenerator()
        let n = rng.next() as UInt64
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }()
    private static let counter = Atomic<UInt64>(0)

    public init() {}

    public func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse
    {
        var context = context
        let id: String
        if let given = request.headers["X-Request-Id"], Self.isAcceptable(given) {
            id = given
        } else {
            id = Self.generate()
        }
        context.requestID = id
        var response = try await next(request, context)
        response.headers.replace("X-Request-Id", id)
        return response
    }

    static func isAcceptable(_ id: String) -> Bool {
        let utf8 = id.utf8
        return !utf8.isEmpty && utf8.count <= 128 && utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    static func generate() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return prefix + "-" + String(n, radix: 16)
    }
}

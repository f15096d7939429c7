/// A response a responder returns. The server adds `Content-Length` (or chunked framing for streams),
/// `Date`, `Connection` and strips the body for HEAD.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: ResponseBody

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: ResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), bytes: [UInt8]) {
        self.init(status: status, headers: headers, body: .bytes(bytes))
    }

    /// A JSON response from already-encoded JSON text.
    public static func json(_ status: HTTPStatus = .ok, _ json: String, headers: HTTPHeaders = HTTPHeaders())
        -> HTTPResponse
    {
        var h = headers
        h.replace("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: h, body: .bytes(Array(json.utf8)))
    }

    /// A JSON response from already-encoded JSON bytes.
    public static func json(_ status: HTTPStatus = .ok, bytes: [UInt8], headers: HTTPHeaders = HTTPHeaders())
        -> HTTPResponse
    {
        var h = headers
        h.replace("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: h, body: .bytes(bytes))
    }

    public static func text(
        _ status: HTTPStatus = .ok, _ text: String, contentType: String = "text/plain; charset=utf-8"
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: .bytes(Array(text.utf8)))
    }
}

public enum ResponseBody: Sendable {
    case empty
    case bytes([UInt8])
    /// A body produced over time (Server-Sent Events, large downloads). The server sends it with
    /// chunked transfer coding and runs the closure until it returns or throws. The closure must
    /// return promptly once its task is cancelled (client gone or server shutting down).
    case stream(@Sendable (any ResponseBodyWriter) async throws -> Void)
}

/// Where a streaming body writes. `write` suspends while the socket's send buffer is full
/// (backpressure) and throws `ResponseBodyWriterError.closed` once the client has gone.
public protocol ResponseBodyWriter: Sendable {
    func write(_ bytes: [UInt8]) async throws
}

public enum ResponseBodyWriterError: Error, Sendable {
    case closed
}

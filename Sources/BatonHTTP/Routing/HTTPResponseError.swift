import BatonJSON

/// An error that knows its HTTP answer: `{"error": "<sentence>", "code": "<snake_case>"}` plus
/// optional `details`, with the status and any extra headers (`Allow`, `Retry-After`).
public protocol HTTPResponseError: Error {
    var status: HTTPStatus { get }
    var code: String { get }
    var message: String { get }
    var details: [String: String]? { get }
    var headers: HTTPHeaders { get }
}

extension HTTPResponseError {
    public var details: [String: String]? { nil }
    public var headers: HTTPHeaders { HTTPHeaders() }

    public var response: HTTPResponse {
        var body = "{\"error\":" + JSONText.quote(message) + ",\"code\":" + JSONText.quote(code)
        if let details {
            body += ",\"details\":{"
            body += details.keys.sorted().map { JSONText.quote($0) + ":" + JSONText.quote(details[$0]!) }
                .joined(separator: ",")
            body += "}"
        }
        body += "}"
        var h = headers
        h.replace("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: h, body: .bytes(Array(body.utf8)))
    }
}

/// The common HTTP errors. `code` strings are part of the API contract: clients switch on them.
public struct HTTPError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPStatus
    public var code: String
    public var message: String
    public var details: [String: String]?
    public var headers: HTTPHeaders

    public init(
        _ status: HTTPStatus, code: String, message: String, details: [String: String]? = nil,
        headers: HTTPHeaders = HTTPHeaders()
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public static func == (a: HTTPError, b: HTTPError) -> Bool {
        a.status == b.status && a.code == b.code && a.message == b.message && a.details == b.details
    }

    public static func badRequest(_ message: String, details: [String: String]? = nil) -> HTTPError {
        HTTPError(.badRequest, code: "bad_request", message: message, details: details)
    }
    public static func unauthorized(_ message: String = "a valid API key is required") -> HTTPError {
        HTTPError(.unauthorized, code: "unauthorized", message: message, headers: ["WWW-Authenticate": "Bearer"])
    }
    public static func forbidden(_ message: String = "this key's role may not do that") -> HTTPError {
        HTTPError(.forbidden, code: "forbidden", message: message)
    }
    /// For handlers with nothing more specific to say; prefer `notFound(_:)` naming the resource.
    public static let notFound = HTTPError(.notFound, code: "not_found", message: "no such resource")
    public static func notFound(_ message: String) -> HTTPError {
        HTTPError(.notFound, code: "not_found", message: message)
    }
    public static func methodNotAllowed(_ method: HTTPMethod, path: String, allow: [String]) -> HTTPError {
        HTTPError(
            .methodNotAllowed, code: "method_not_allowed",
            message: "\(method.rawValue) is not allowed on \(path); allowed: \(allow.joined(separator: ", "))",
            headers: ["Allow": allow.joined(separator: ", ")])
    }
    public static func conflict(_ message: String) -> HTTPError {
        HTTPError(.conflict, code: "conflict", message: message)
    }
    public static func unsupportedMediaType(
        _ message: String = "the body must be JSON (Content-Type: application/json)"
    ) -> HTTPError {
        HTTPError(.unsupportedMediaType, code: "unsupported_media_type", message: message)
    }
    public static func unprocessable(_ message: String, details: [String: String]? = nil) -> HTTPError {
        HTTPError(.unprocessableContent, code: "invalid_transition", message: message, details: details)
    }
    public static func tooManyRequests(retryAfter seconds: Int) -> HTTPError {
        HTTPError(
            .tooManyRequests, code: "rate_limited", message: "too many requests; retry after \(seconds) s",
            headers: ["Retry-After": String(seconds)])
    }
    public static func serviceUnavailable(_ message: String, retryAfter seconds: Int? = nil) -> HTTPError {
        HTTPError(
            .serviceUnavailable, code: "unavailable", message: message,
            headers: seconds.map { ["Retry-After": String($0)] } ?? HTTPHeaders())
    }
    public static let internalError = HTTPError(
        .internalServerError, code: "internal_error", message: "internal server error")
}

/// The request line and header fields of a request, with the framing facts the connection needs
/// before it reads the body (keep-alive, `Expect: 100-continue`, body length).
public struct HTTPRequestHead: Sendable {
    public var method: HTTPMethod
    /// Origin-form target (`/path?query`); an absolute-form target is reduced to this.
    public var target: String
    public var path: String
    public var query: String
    public var version: (major: Int, minor: Int)
    public var headers: HTTPHeaders
    /// Whether the client allows the connection to stay open after this exchange.
    public var keepAlive: Bool
    /// The client sent `Expect: 100-continue` and waits for a `100 Continue` before the body.
    public var expectsContinue: Bool
    public var framing: BodyFraming

    public enum BodyFraming: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
    }

    /// True when a body follows the head (the case where `100 Continue` is worth sending).
    public var hasBody: Bool {
        switch framing {
        case .none: false
        case .length(let n): n > 0
        case .chunked: true
        }
    }
}

/// Why a request was refused while parsing; `status` is what the server answers before closing.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: HTTPStatus
    /// snake_case, for the JSON error body.
    public let code: String
    public let message: String

    public init(_ status: HTTPStatus, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    static func bad(_ message: String) -> HTTPParseError {
        HTTPParseError(.badRequest, "bad_request", message)
    }
    static let headersTooLarge = HTTPParseError(
        .requestHeaderFieldsTooLarge, "headers_too_large", "The request header block is too large.")
    static let trailersTooLarge = HTTPParseError(
        .requestHeaderFieldsTooLarge, "headers_too_large", "The chunked trailer section is too large.")
    static let bodyTooLarge = HTTPParseError(
        .contentTooLarge, "body_too_large", "The request body is too large.")
}

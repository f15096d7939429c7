/// Why a request produced no response.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not an absolute http(s) URL.
    case invalidURL(String)
    /// A method or header name that is not a token, or a header value with CR, LF or NUL
    /// (header injection); the text says which.
    case invalidRequest(String)
    /// Name resolution or the TCP connection failed; the message says which and why.
    case couldNotConnect(String)
    /// `timeout` or `connectTimeout` elapsed.
    case timedOut
    case responseTooLarge(limit: Int)
    /// The calling task was cancelled, or the client was shut down.
    case cancelled
    /// Any other libcurl failure (TLS, protocol error, connection closed mid-response, …).
    case transport(code: Int, message: String)

    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid URL: \(url)"
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case .couldNotConnect(let message): "could not connect: \(message)"
        case .timedOut: "request timed out"
        case .responseTooLarge(let limit): "response body larger than \(limit) bytes"
        case .cancelled: "request cancelled"
        case .transport(let code, let message): "transfer failed (curl \(code)): \(message)"
        }
    }
}

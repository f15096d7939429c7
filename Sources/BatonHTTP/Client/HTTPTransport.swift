/// What sends a request and returns its response: `HTTPClient` (libcurl: TLS, redirects off, any
/// host) or `PlainHTTPClient` (plain HTTP/1.1 to one host, no libcurl).
public protocol HTTPTransport: Sendable {
    func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse
}

extension HTTPClient: HTTPTransport {}

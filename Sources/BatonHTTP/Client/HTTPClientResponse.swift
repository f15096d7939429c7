/// A complete response. Redirects are not followed, so a 3xx arrives here as it is.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    /// The final response's header fields (an interim `100 Continue`'s are dropped), in order.
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8, invalid sequences replaced.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

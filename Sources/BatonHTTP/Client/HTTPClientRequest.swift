/// One outbound request. The whole body is in memory: Baton's outbound calls (Linear GraphQL, LLM
/// providers, worker to coordinator) are small.
public struct HTTPClientRequest: Sendable {
    public var method: HTTPMethod
    /// An absolute `http://` or `https://` URL.
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The whole exchange, connecting included.
    public var timeout: Duration
    public var connectTimeout: Duration
    /// A longer response body aborts the transfer with `HTTPClientError.responseTooLarge`.
    public var maxResponseBytes: Int

    public init(
        method: HTTPMethod = .get, url: String, headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], timeout: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(10), maxResponseBytes: Int = 16 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
    }
}

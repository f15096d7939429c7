/// A complete HTTP request as the server hands it to a responder: the head plus the whole body
/// (bodies are bounded by the server's `maxBodyBytes`, so buffering them is safe).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request target exactly as sent, e.g. `/api/v1/events?types=a,b`.
    public var target: String
    /// The path part of the target, percent-decoding not applied.
    public var path: String
    /// The raw query string after `?`, without the `?`; empty when absent.
    public var query: String
    /// (1, 1) for HTTP/1.1, (1, 0) for HTTP/1.0.
    public var version: (major: Int, minor: Int)
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The peer, e.g. `127.0.0.1:53122`; empty when unknown (tests without a socket).
    public var remoteAddress: String

    public init(
        method: HTTPMethod, target: String, version: (major: Int, minor: Int) = (1, 1),
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], remoteAddress: String = ""
    ) {
        self.method = method
        self.target = target
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            query = String(target[target.index(after: q)...])
        } else {
            path = target
            query = ""
        }
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// For the server's parser, which has already split the target.
    init(
        method: HTTPMethod, target: String, path: String, query: String, version: (major: Int, minor: Int),
        headers: HTTPHeaders, body: [UInt8], remoteAddress: String
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// Query parameters in order, `+` and percent-escapes decoded. Repeated keys are all kept.
    public var queryItems: [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let eq = pair.firstIndex(of: "=") {
                return (
                    PercentDecoding.decode(pair[..<eq], plusAsSpace: true),
                    PercentDecoding.decode(pair[pair.index(after: eq)...], plusAsSpace: true)
                )
            }
            return (PercentDecoding.decode(pair, plusAsSpace: true), "")
        }
    }

    /// The first value of query parameter `name`.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }
}

/// One line per request: method, path (without the query, which may carry secrets), status,
/// duration, request id and peer.
public struct AccessLogMiddleware: HTTPMiddleware {
    let sink: @Sendable (String) -> Void

    public init(sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    public func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let rounded = (ms * 100).rounded() / 100
        sink(
            "\(request.method.rawValue) \(request.path) \(response.status.code) \(rounded)ms id=\(context.requestID)"
                + (context.remoteAddress.isEmpty ? "" : " from=\(context.remoteAddress)"))
        return response
    }
}

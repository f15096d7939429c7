/// One line per request: method, path (without the query, which may carry secrets), status,
/// duration, request id and peer.
public struct AccessLogMiddleware: HTTPStepMiddleware {
    let sink: @Sendable (String) -> Void

    public init(sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    public func before(_ request: HTTPRequest, context: inout RequestContext) -> Bool { true }

    /// The duration runs from when the router took the request (`context.startedAt`).
    public func after(_ request: HTTPRequest, context: RequestContext, response: inout HTTPResponse) {
        let elapsed = ContinuousClock.now - context.startedAt
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let rounded = (ms * 100).rounded() / 100
        sink(
            "\(request.method.rawValue) \(request.path) \(response.status.code) \(rounded)ms id=\(context.requestID)"
                + (context.remoteAddress.isEmpty ? "" : " from=\(context.remoteAddress)"))
    }
}

import BatonCore
import BatonHTTP
import Synchronization

/// Counts every request and times it, labelled by method, matched route pattern (never the raw
/// path, which would make label cardinality unbounded) and status.
struct HTTPMetricsMiddleware: HTTPMiddleware {
    private let requests: CounterFamily
    private let duration: HistogramFamily

    init(registry: MetricsRegistry) {
        // Fixed, valid names: registration cannot fail unless a programmer registers them twice
        // with different shapes, which the tests would catch.
        requests = try! registry.counter(
            name: "baton_http_requests_total", help: "HTTP requests answered.",
            labelNames: ["method", "route", "status"])
        duration = try! registry.histogram(
            name: "baton_http_request_duration_seconds", help: "Time to produce a response, in seconds.",
            labelNames: ["method", "route", "status"])
    }

    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
        let start = ContinuousClock.now
        // `next` renders errors into responses, so the status here is the one the client gets.
        let response = try await next(request, context)
        record(request, context, status: response.status.code, since: start)
        return response
    }

    private func record(
        _ request: HTTPRequest, _ context: RequestContext, status: Int, since start: ContinuousClock.Instant
    ) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        requests.labels(request.method.rawValue, context.route, String(status)).inc()
        duration.labels(request.method.rawValue, context.route, String(status)).observe(seconds)
    }
}

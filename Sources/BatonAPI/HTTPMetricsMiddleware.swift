import BatonCore
import BatonHTTP
import Synchronization

/// Counts every request and times it, labelled by method, matched route pattern (never the raw
/// path, which would make label cardinality unbounded) and status.
struct HTTPMetricsMiddleware: HTTPStepMiddleware {
    /// One label combination: its counter and histogram children, looked up together.
    private struct SeriesKey: Hashable {
        let method: HTTPMethod
        let route: String
        let status: Int
    }

    private final class Series: Sendable {
        let requests: Counter
        let duration: Histogram
        init(requests: Counter, duration: Histogram) {
            self.requests = requests
            self.duration = duration
        }
    }

    /// The children by label combination, so a request takes one lock and hashes no label
    /// strings it would first have to build (bench/RESULTS.md, issue 22).
    private final class SeriesCache: Sendable {
        let table = Mutex<[SeriesKey: Series]>([:])
    }

    private let requests: CounterFamily
    private let duration: HistogramFamily
    private let cache = SeriesCache()

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

    func before(_ request: HTTPRequest, context: inout RequestContext) -> Bool { true }

    func after(_ request: HTTPRequest, context: RequestContext, response: inout HTTPResponse) {
        // The inner layers render errors into responses, so the status here is the one the client gets.
        // The router stamped the context when it took the request: that is the start.
        let elapsed = ContinuousClock.now - context.startedAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let series = series(
            SeriesKey(method: Self.label(request.method), route: context.route, status: response.status.code))
        series.requests.inc()
        series.duration.observe(seconds)
    }

    /// The methods Baton serves keep their name; any other token a client sends is `OTHER`, so
    /// made-up methods cannot add series without end (SPEC §12.4).
    /// A switch rather than a set: comparing short strings costs less than hashing one, per request.
    static func label(_ method: HTTPMethod) -> HTTPMethod {
        switch method {
        case .get, .head, .post, .put, .patch, .delete, .options: method
        default: other
        }
    }
    static let other = HTTPMethod("OTHER")

    private func series(_ key: SeriesKey) -> Series {
        if let known = cache.table.withLock({ $0[key] }) { return known }
        let labels = [key.method.rawValue, key.route, String(key.status)]
        let made = Series(requests: requests.labels(labels), duration: duration.labels(labels))
        return cache.table.withLock { table in
            if let known = table[key] { return known }
            table[key] = made
            return made
        }
    }
}

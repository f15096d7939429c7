import BatonCore
import BatonHTTP

/// `GET /metrics`: the registry in Prometheus text format 0.0.4.
enum MetricsRoutes {
    static func register(on router: RouterBuilder, services: CoordinatorServices) {
        ProcessMetrics.register(in: services.metrics)
        let registry = services.metrics
        let events = services.events
        _ = try? registry.callbackGauge(
            name: "baton_sse_subscribers", help: "Open event-stream (SSE) subscriptions."
        ) { Double(events.subscriberCount) }
        _ = try? registry.callbackGauge(
            name: "baton_events_last_id", help: "Id of the newest event delivered to subscribers."
        ) { Double(events.lastEventID) }
        let headers: HTTPHeaders = ["Content-Type": MetricsRegistry.contentType]
        router.get(
            "/metrics",
            synchronous: { _, _ in
                HTTPResponse(status: .ok, headers: headers, bytes: Array(registry.exposition().utf8))
            })
    }
}

import BatonHTTP
import BatonTestSupport
import Foundation
import Testing

@testable import BatonAPI

@Suite struct MetricsRoutesTests {
    @Test func countsRequestsByMethodRouteAndStatus() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = await c.request(.get, "/health")
        _ = await c.request(.get, "/health")
        _ = await c.request(.get, "/no/such/path")
        let response = await c.request(.get, "/metrics")
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        let text = response.bodyText
        #expect(text.contains(#"baton_http_requests_total{method="GET",route="/health",status="200"} 2"#))
        // Unmatched paths share one label value, so scanning random paths cannot grow the series.
        #expect(!text.contains("/no/such/path"))
        #expect(text.contains(#"status="404"} 1"#))
        #expect(
            text.contains(#"baton_http_request_duration_seconds_count{method="GET",route="/health",status="200"} 2"#))
        #expect(text.contains("baton_process_resident_memory_bytes "))
        #expect(text.contains("baton_process_start_time_seconds "))
        #expect(text.contains("baton_sse_subscribers 0"))
    }

    /// `promtool check metrics` is the reference parser; it must accept the whole exposition.
    @Test func promtoolAcceptsTheExposition() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = await c.request(.get, "/health")
        _ = await c.request(.post, "/health")
        let text = await c.request(.get, "/metrics").bodyText
        let promtool = try await offPool {
            try ChildProcess.run("/usr/bin/promtool", ["check", "metrics"], input: text, mergeStderr: true)
        }
        let report = promtool.stdout
        #expect(promtool.status == 0, "promtool: \(report)")
        #expect(report.isEmpty, "promtool: \(report)")
    }
}

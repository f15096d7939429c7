import BatonHTTP
import BatonTestSupport
import Testing

@testable import BatonAPI

@Suite struct HTTPMetricsMiddlewareTests {
    /// Methods a client makes up share one label value, so they cannot add series without end;
    /// the methods Baton serves keep their names.
    @Test func madeUpMethodsShareOneLabel() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        for n in 0..<5 { _ = await c.request(HTTPMethod("BREW\(n)"), "/health") }
        _ = await c.request(.delete, "/health")
        let text = await c.request(.get, "/metrics").bodyText
        #expect(!text.contains("BREW"))
        #expect(text.contains(#"baton_http_requests_total{method="OTHER",route="<unmatched>",status="405"} 5"#))
        #expect(text.contains(#"baton_http_requests_total{method="DELETE",route="<unmatched>",status="405"} 1"#))
        let otherLines = text.split(separator: "\n").filter {
            $0.hasPrefix("baton_http_requests_total{") && $0.contains(#"method="OTHER""#)
        }
        #expect(otherLines.count == 1, "\(otherLines)")
    }
}

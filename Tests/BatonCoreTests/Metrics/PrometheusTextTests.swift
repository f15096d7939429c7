import Testing

@testable import BatonCore

@Suite struct MetricsExpositionTests {
    @Test func smallRegistryExactText() throws {
        let registry = MetricsRegistry()
        let requests = try registry.counter(
            name: "baton_http_requests_total", help: "HTTP requests served.",
            labelNames: ["method", "route", "status"])
        requests.labels("GET", "/health", "200").inc()
        requests.labels("GET", "/health", "200").inc(by: 2)
        requests.labels("POST", "/api/jobs", "201").inc()
        requests.labels("GET", "/api/jobs", "200").inc()
        let up = try registry.gauge(name: "baton_up", help: "1 while serving.")
        up.set(1)
        let latency = try registry.histogram(
            name: "baton_http_request_duration_seconds", help: "HTTP request latency.",
            labelNames: ["route"], buckets: [0.125, 0.5, 1])
        let health = latency.labels("/health")
        for seconds in [0.0625, 0.125, 0.75, 3] { health.observe(seconds) }
        try registry.callbackGauge(
            name: "baton_process_resident_memory_bytes", help: "Resident memory."
        ) { 12_345_678 }
        _ = try registry.gauge(name: "baton_queue_depth", help: "Jobs waiting.", labelNames: ["tier"])

        let expected = """
            # HELP baton_http_request_duration_seconds HTTP request latency.
            # TYPE baton_http_request_duration_seconds histogram
            baton_http_request_duration_seconds_bucket{route="/health",le="0.125"} 2
            baton_http_request_duration_seconds_bucket{route="/health",le="0.5"} 2
            baton_http_request_duration_seconds_bucket{route="/health",le="1"} 3
            baton_http_request_duration_seconds_bucket{route="/health",le="+Inf"} 4
            baton_http_request_duration_seconds_sum{route="/health"} 3.9375
            baton_http_request_duration_seconds_count{route="/health"} 4
            # HELP baton_http_requests_total HTTP requests served.
            # TYPE baton_http_requests_total counter
            baton_http_requests_total{method="GET",route="/api/jobs",status="200"} 1
            baton_http_requests_total{method="GET",route="/health",status="200"} 3
            baton_http_requests_total{method="POST",route="/api/jobs",status="201"} 1
            # HELP baton_process_resident_memory_bytes Resident memory.
            # TYPE baton_process_resident_memory_bytes gauge
            baton_process_resident_memory_bytes 12345678
            # HELP baton_queue_depth Jobs waiting.
            # TYPE baton_queue_depth gauge
            # HELP baton_up 1 while serving.
            # TYPE baton_up gauge
            baton_up 1

            """
        #expect(registry.exposition() == expected)
    }

    @Test func unlabeledFamiliesExposeZeroBeforeFirstUse() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter(name: "a_total", help: "A.")
        _ = try registry.histogram(name: "b_seconds", help: "B.", buckets: [1])
        #expect(
            registry.exposition() == """
                # HELP a_total A.
                # TYPE a_total counter
                a_total 0
                # HELP b_seconds B.
                # TYPE b_seconds histogram
                b_seconds_bucket{le="1"} 0
                b_seconds_bucket{le="+Inf"} 0
                b_seconds_sum 0
                b_seconds_count 0

                """)
    }

    @Test func helpAndLabelValuesAreEscaped() throws {
        let registry = MetricsRegistry()
        let family = try registry.gauge(
            name: "g", help: #"Back\slash, "quotes" stay,"# + "\nnew line.", labelNames: ["v"])
        family.labels(#"say "hi"\"# + "\nbye").set(2)
        #expect(
            registry.exposition() == #"""
                # HELP g Back\\slash, "quotes" stay,\nnew line.
                # TYPE g gauge
                g{v="say \"hi\"\\\nbye"} 2

                """#)
    }

    @Test func histogramBucketsAreCumulative() throws {
        let registry = MetricsRegistry()
        let family = try registry.histogram(name: "h_seconds", help: "H.")
        #expect(family.buckets == Histogram.defaultBuckets)
        let h = family.labels()
        for seconds in [0.001, 0.005, 0.007, 0.3, 0.3, 4, 11, .infinity] { h.observe(seconds) }
        #expect(h.cumulativeCounts == [2, 3, 3, 3, 3, 3, 5, 5, 5, 6, 6, 8])
        #expect(h.count == 8)
        let text = registry.exposition()
        #expect(text.contains(#"h_seconds_bucket{le="0.005"} 2"#))
        #expect(text.contains(#"h_seconds_bucket{le="0.5"} 5"#))
        #expect(text.contains(#"h_seconds_bucket{le="10"} 6"#))
        #expect(text.contains(#"h_seconds_bucket{le="+Inf"} 8"#))
        #expect(text.contains("h_seconds_sum +Inf\n"))
        #expect(text.contains("h_seconds_count 8\n"))
    }

    @Test func floatsFormattedAsPrometheusExpects() {
        let cases: [(Double, String)] = [
            (3, "3"), (0, "0"), (-2, "-2"), (0.5, "0.5"), (2.5, "2.5"), (0.005, "0.005"),
            (1e-5, "1e-05"), (1e20, "1e+20"), (123_456_789_012, "123456789012"),
            (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN"),
        ]
        for (value, text) in cases { #expect(PrometheusText.format(value) == text) }
        #expect(PrometheusText.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(MetricsRegistry.contentType == PrometheusText.contentType)
    }
}

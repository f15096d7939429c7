import BatonTestSupport
import Dispatch
import Foundation
import Testing

@testable import BatonCore

/// The design requires that `promtool check metrics` accepts `/metrics` without a warning.
@Suite struct MetricsPromtoolTests {
    static let promtool = "/usr/bin/promtool"

    @Test func promtoolAcceptsEveryMetricKind() async throws {
        let registry = MetricsRegistry()
        let requests = try registry.counter(
            name: "baton_http_requests_total", help: "HTTP requests served, by route and status.",
            labelNames: ["method", "route", "status"])
        requests.labels("GET", "/health", "200").inc(by: 3)
        requests.labels("POST", #"/api/"quoted"\path"# + "\n", "201").inc()
        try registry.counter(name: "baton_webhooks_total", help: "Webhooks received.").inc()
        let latency = try registry.histogram(
            name: "baton_http_request_duration_seconds", help: "HTTP request latency in seconds.",
            labelNames: ["route"])
        for seconds in [0.002, 0.04, 0.3, 12] { latency.labels("/health").observe(seconds) }
        try registry.histogram(
            name: "baton_job_duration_seconds", help: "Job run time in seconds.", buckets: [1, 60, 3600]
        ).observe(42)
        try registry.gauge(name: "baton_workers_online", help: "Workers online.").set(2)
        try registry.gauge(name: "baton_queue_depth", help: "Jobs waiting.", labelNames: ["tier"])
            .labels("high").set(.nan)
        try registry.callbackGauge(
            name: "baton_process_resident_memory_bytes", help: "Resident memory, \\ in bytes.\nReally."
        ) { 1.5e9 }

        let (status, output) = try await Self.runPromtool(input: registry.exposition())
        #expect(status == 0, "promtool said: \(output)")
        #expect(output.isEmpty, "promtool printed: \(output)")
    }

    @Test func promtoolWouldCatchALintProblem() async throws {
        // Proves the check above is not vacuous: promtool flags camelCase names.
        let registry = MetricsRegistry()
        try registry.gauge(name: "bytesInFlight", help: "B.").set(1)
        let (status, output) = try await Self.runPromtool(input: registry.exposition())
        #expect(status != 0)
        #expect(output.contains("camelCase"))
    }

    /// Runs `promtool check metrics` on its own thread (never the cooperative pool) and returns
    /// its exit status with stdout and stderr together.
    static func runPromtool(input: String) async throws -> (Int32, String) {
        try #require(
            FileManager.default.isExecutableFile(atPath: promtool),
            "promtool missing: the Makefile installs the Debian package `prometheus`")
        let result = try await offPool {
            try ChildProcess.run(promtool, ["check", "metrics"], input: input, mergeStderr: true)
        }
        return (result.status, result.stdout)
    }
}

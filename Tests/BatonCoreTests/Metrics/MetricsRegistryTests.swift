import Synchronization
import Testing

@testable import BatonCore

@Suite struct MetricsRegistryTests {
    @Test func concurrentUpdatesSumExactly() async throws {
        let registry = MetricsRegistry()
        let counter = try registry.counter(name: "c_total", help: "C.", labelNames: ["k"])
        let gauge = try registry.gauge(name: "g", help: "G.")
        let histogram = try registry.histogram(name: "h_seconds", help: "H.")
        let tasks = 8
        let perTask = 5_000
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    let cached = counter.labels("cached")
                    for i in 0..<perTask {
                        cached.inc()
                        counter.labels("looked-up").inc(by: 2)  // the dictionary path too
                        gauge.inc()
                        if i % 2 == 0 { gauge.dec() }
                        histogram.observe(t % 2 == 0 ? 0.00390625 : 8)  // exact in binary
                    }
                }
            }
        }
        let total = Double(tasks * perTask)
        #expect(counter.labels("cached").current == total)
        #expect(counter.labels("looked-up").current == 2 * total)
        #expect(gauge.labels().current == total / 2)
        let h = histogram.labels()
        #expect(h.count == UInt64(tasks * perTask))
        #expect(h.cumulativeCounts.first == UInt64(tasks / 2 * perTask))
        #expect(h.total == (0.00390625 + 8) * Double(tasks / 2 * perTask))
    }

    @Test func counterIgnoresNegativeAndNaN() throws {
        let counter = try MetricsRegistry().counter(name: "c_total", help: "C.")
        counter.inc(by: 5)
        counter.inc(by: -1)
        counter.inc(by: .nan)
        #expect(counter.labels().current == 5)
    }

    @Test func gaugeSetIncDec() throws {
        let gauge = try MetricsRegistry().gauge(name: "g", help: "G.", labelNames: ["a"]).labels("x")
        gauge.set(10)
        gauge.inc(by: 2.5)
        gauge.dec()
        #expect(gauge.current == 11.5)
    }

    @Test(arguments: ["", "1abc", "a-b", "a b", "é", "a.b", "a{b}"])
    func invalidMetricNamesRefused(_ name: String) {
        #expect(throws: MetricsError.invalidMetricName(name)) {
            try MetricsRegistry().gauge(name: name, help: "X.")
        }
    }

    @Test(arguments: ["a", "_a", ":a", "a:b_c9", "A_b"])
    func validMetricNamesAccepted(_ name: String) throws {
        _ = try MetricsRegistry().gauge(name: name, help: "X.")
    }

    @Test(arguments: ["", "__reserved", "a:b", "1a", "a-b", "é"])
    func invalidLabelNamesRefused(_ label: String) {
        #expect(throws: MetricsError.invalidLabelName(label)) {
            try MetricsRegistry().gauge(name: "g", help: "G.", labelNames: [label])
        }
    }

    @Test func otherRegistrationRules() {
        let registry = MetricsRegistry()
        #expect(throws: MetricsError.invalidLabelName("a")) {
            try registry.gauge(name: "g", help: "G.", labelNames: ["a", "a"])
        }
        #expect(throws: MetricsError.invalidLabelName("le")) {
            try registry.histogram(name: "h", help: "H.", labelNames: ["le"])
        }
        #expect(throws: MetricsError.counterNameMustEndInTotal("requests")) {
            try registry.counter(name: "requests", help: "R.")
        }
        #expect(throws: MetricsError.missingHelp("g")) { try registry.gauge(name: "g", help: "") }
        for bad: [Double] in [[], [1, 1], [2, 1], [.nan], [-.infinity, 1]] {
            #expect(throws: MetricsError.invalidBuckets("h")) {
                try registry.histogram(name: "h", help: "H.", buckets: bad)
            }
        }
        // A trailing +Inf is accepted and not duplicated.
        #expect(
            (try? registry.histogram(name: "h2", help: "H.", buckets: [1, .infinity]))?.buckets == [1])
    }

    @Test func sameDefinitionReturnsExistingFamily() throws {
        let registry = MetricsRegistry()
        let a = try registry.counter(name: "x_total", help: "X.", labelNames: ["k"])
        let b = try registry.counter(name: "x_total", help: "X.", labelNames: ["k"])
        #expect(a === b)
        a.labels("v").inc()
        #expect(b.labels("v").current == 1)
        let h1 = try registry.histogram(name: "h", help: "H.", buckets: [1, 2])
        #expect(try registry.histogram(name: "h", help: "H.", buckets: [1, 2]) === h1)
    }

    @Test func conflictingReRegistrationThrows() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter(name: "x_total", help: "X.", labelNames: ["k"])
        _ = try registry.histogram(name: "lat", help: "L.", buckets: [1, 2])
        try registry.callbackGauge(name: "rss", help: "R.") { 1 }
        let conflicts: [(String, () throws -> Void)] = [
            ("x_total", { _ = try registry.gauge(name: "x_total", help: "X.", labelNames: ["k"]) }),
            ("x_total", { _ = try registry.counter(name: "x_total", help: "X.", labelNames: ["j"]) }),
            ("x_total", { _ = try registry.counter(name: "x_total", help: "X.") }),
            ("x_total", { _ = try registry.counter(name: "x_total", help: "Other.", labelNames: ["k"]) }),
            ("lat", { _ = try registry.histogram(name: "lat", help: "L.", buckets: [1, 3]) }),
            ("lat_count", { _ = try registry.gauge(name: "lat_count", help: "C.") }),
            ("lat_bucket", { _ = try registry.gauge(name: "lat_bucket", help: "B.") }),
            ("rss", { try registry.callbackGauge(name: "rss", help: "R.") { 2 } }),
            ("rss", { _ = try registry.gauge(name: "rss", help: "R.") }),
        ]
        for (name, register) in conflicts {
            #expect(throws: MetricsError.conflictingRegistration(name)) { try register() }
        }
        let h = try registry.gauge(name: "h", help: "H.")
        #expect(throws: MetricsError.conflictingRegistration("h")) {
            try registry.histogram(name: "h", help: "H.")
        }
        _ = h
    }

    @Test func callbackGaugeReadAtEachScrape() throws {
        let registry = MetricsRegistry()
        let source = try registry.gauge(name: "source", help: "S.")
        // The callback may use the registry: it runs outside the registry's lock.
        try registry.callbackGauge(name: "derived", help: "D.") {
            (try? registry.gauge(name: "source", help: "S."))?.labels().current ?? -1
        }
        source.set(4)
        #expect(registry.exposition().contains("\nderived 4\n"))
        source.set(0.25)
        #expect(registry.exposition().contains("\nderived 0.25\n"))
    }

    @Test func callbackCounterRendersAsACounter() throws {
        let registry = MetricsRegistry()
        let count = Atomic<Int>(3)
        try registry.callbackCounter(name: "things_total", help: "Things.") { Double(count.load(ordering: .relaxed)) }
        let text = registry.exposition()
        #expect(text.contains("# TYPE things_total counter\n"))
        #expect(text.contains("\nthings_total 3\n"))
        count.store(7, ordering: .relaxed)
        #expect(registry.exposition().contains("\nthings_total 7\n"))
    }

    @Test func labeledCallbackGaugeRendersOneSamplePerLabel() throws {
        let registry = MetricsRegistry()
        let counts = Mutex<[Int]>([2, 5])
        try registry.callbackGauge(name: "loop_connections", help: "L.", labelName: "loop") {
            counts.withLock { $0.enumerated().map { (label: String($0.offset), value: Double($0.element)) } }
        }
        let text = registry.exposition()
        #expect(text.contains("# TYPE loop_connections gauge\n"))
        #expect(text.contains("\nloop_connections{loop=\"0\"} 2\nloop_connections{loop=\"1\"} 5\n"))
        counts.withLock { $0 = [1] }
        let later = registry.exposition()
        #expect(later.contains("\nloop_connections{loop=\"0\"} 1\n"))
        #expect(!later.contains("loop=\"1\""))
        #expect(throws: MetricsError.invalidLabelName("a-b")) {
            try registry.callbackGauge(name: "other", help: "O.", labelName: "a-b") { [] }
        }
        #expect(throws: MetricsError.conflictingRegistration("loop_connections")) {
            try registry.callbackGauge(name: "loop_connections", help: "L.", labelName: "loop") { [] }
        }
    }
}

import BatonCore

/// The dispatcher's Prometheus families: jobs by status, dispatches and their latency, killswitch
/// levels, cost and tokens (workers by state are counted at each scrape: `Dispatcher.init`).
final class DispatchMetrics: Sendable {
    let jobsByStatus: GaugeFamily?
    let dispatches: CounterFamily?
    let latency: HistogramFamily?
    let killswitch: GaugeFamily?
    let cost: CounterFamily?
    let tokens: CounterFamily?
    /// The `baton_jobs` children, bound once: they are set after every write.
    private let jobGauges: [Gauge]

    init(registry: MetricsRegistry) {
        jobsByStatus = try? registry.gauge(name: "baton_jobs", help: "Jobs by status.", labelNames: ["status"])
        dispatches = try? registry.counter(
            name: "baton_dispatches_total", help: "Routing outcomes: a job assigned, or no eligible worker.",
            labelNames: ["outcome"])
        latency = try? registry.histogram(
            name: "baton_dispatch_latency_seconds", help: "Time from a job entering the queue to its assignment.")
        killswitch = try? registry.gauge(
            name: "baton_killswitch_level", help: "Killswitch level per tenant.", labelNames: ["tenant"])
        cost = try? registry.counter(
            name: "baton_cost_usd_total", help: "Cost of finished jobs in USD.", labelNames: ["provider", "model"])
        tokens = try? registry.counter(
            name: "baton_job_tokens_total", help: "Tokens used by finished jobs.", labelNames: ["direction"])
        jobGauges = JobStatus.allCases.compactMap { [jobsByStatus] in jobsByStatus?.labels($0.rawValue) }
        for gauge in jobGauges { gauge.set(0) }
        for outcome in ["assigned", "no_worker"] { _ = dispatches?.labels(outcome) }
    }

    func jobs(_ counts: [JobStatus: Int]) {
        for (status, gauge) in zip(JobStatus.allCases, jobGauges) { gauge.set(Double(counts[status] ?? 0)) }
    }

    func record(_ o: DispatchTxn.Observations) {
        if !o.dispatchLatencies.isEmpty {
            dispatches?.labels("assigned").inc(by: Double(o.dispatchLatencies.count))
            for seconds in o.dispatchLatencies { latency?.observe(seconds) }
        }
        for c in o.costs {
            cost?.labels(c.provider, c.model).inc(by: c.usd)
            tokens?.labels("input").inc(by: Double(c.input))
            tokens?.labels("output").inc(by: Double(c.output))
        }
        for (tenant, level) in o.killswitchLevels { killswitch?.labels(tenant).set(Double(level)) }
    }

}

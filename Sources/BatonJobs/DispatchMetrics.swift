import BatonCore

/// The dispatcher's Prometheus families: jobs by status, dispatches and their latency, workers by
/// state, killswitch levels, cost and tokens.
final class DispatchMetrics: Sendable {
    let jobsByStatus: GaugeFamily?
    let dispatches: CounterFamily?
    let latency: HistogramFamily?
    let workers: GaugeFamily?
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
        workers = try? registry.gauge(
            name: "baton_workers", help: "Workers by state (online, offline, paused, busy, idle).",
            labelNames: ["state"])
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

    func workers(online: Int, offline: Int, paused: Int, busy: Int, idle: Int) {
        workers?.labels("online").set(Double(online))
        workers?.labels("offline").set(Double(offline))
        workers?.labels("paused").set(Double(paused))
        workers?.labels("busy").set(Double(busy))
        workers?.labels("idle").set(Double(idle))
    }
}

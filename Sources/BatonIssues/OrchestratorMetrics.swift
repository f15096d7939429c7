import BatonCore

/// The orchestrator's Prometheus families (SPEC §12.4): ended attempts by outcome, issue moves by
/// target state, and tracked issues by state.
final class OrchestratorMetrics: Sendable {
    let attempts: CounterFamily?
    let issueMoves: CounterFamily?
    let issues: GaugeFamily?

    init(registry: MetricsRegistry) {
        attempts = try? registry.counter(
            name: "baton_attempts_total", help: "Ended attempts by outcome.", labelNames: ["outcome"])
        for status in AttemptRecord.Status.allCases where status != .running { _ = attempts?.labels(status.rawValue) }
        issueMoves = try? registry.counter(
            name: "baton_issue_transitions_total", help: "Issue state changes by target state.", labelNames: ["to"])
        for state in IssueState.allCases { _ = issueMoves?.labels(state.rawValue) }
        issues = try? registry.gauge(name: "baton_issues", help: "Tracked issues by state.", labelNames: ["state"])
        for state in IssueState.allCases { issues?.labels(state.rawValue).set(0) }
    }

    func record(_ o: IssueTxn.Observations) {
        for outcome in o.attemptOutcomes { attempts?.labels(outcome.rawValue).inc() }
        for state in o.issueMoves { issueMoves?.labels(state.rawValue).inc() }
    }

    func issues(_ counts: [String: Int]) {
        for state in IssueState.allCases { issues?.labels(state.rawValue).set(Double(counts[state.rawValue] ?? 0)) }
    }
}

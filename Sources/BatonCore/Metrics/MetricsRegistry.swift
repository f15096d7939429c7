import Synchronization

/// Every metric of the process, and their Prometheus text exposition for `GET /metrics`.
///
/// Register families once at start-up, keep the returned family (or the children you get from
/// `labels(...)`), and update them from anywhere: updates are lock-free.
public final class MetricsRegistry: Sendable {
    /// The `Content-Type` to serve `exposition()` with.
    public static let contentType = PrometheusText.contentType

    private let families = Mutex<[String: any RenderableFamily]>([:])

    public init() {}

    public func counter(name: String, help: String, labelNames: [String] = []) throws(MetricsError)
        -> CounterFamily
    {
        guard name.hasSuffix("_total") else { throw .counterNameMustEndInTotal(name) }
        let definition = FamilyDefinition(
            name: name, help: help, kind: .counter, labelNames: labelNames, buckets: [],
            isCallback: false)
        return try register(definition) { CounterFamily(definition) }
    }

    public func gauge(name: String, help: String, labelNames: [String] = []) throws(MetricsError)
        -> GaugeFamily
    {
        let definition = FamilyDefinition(
            name: name, help: help, kind: .gauge, labelNames: labelNames, buckets: [],
            isCallback: false)
        return try register(definition) { GaugeFamily(definition) }
    }

    /// `buckets` are upper bounds in seconds, strictly increasing; `+Inf` is always added.
    public func histogram(
        name: String, help: String, labelNames: [String] = [],
        buckets: [Double] = Histogram.defaultBuckets
    ) throws(MetricsError) -> HistogramFamily {
        var bounds = buckets
        if bounds.last == .infinity { bounds.removeLast() }
        guard !bounds.isEmpty, bounds.allSatisfy(\.isFinite),
            zip(bounds, bounds.dropFirst()).allSatisfy({ $0 < $1 })
        else { throw .invalidBuckets(name) }
        if labelNames.contains("le") { throw .invalidLabelName("le") }
        let definition = FamilyDefinition(
            name: name, help: help, kind: .histogram, labelNames: labelNames, buckets: bounds,
            isCallback: false)
        return try register(definition) { HistogramFamily(definition) }
    }

    /// A gauge whose value `read` computes at each scrape. `read` runs outside the registry's
    /// lock, on the scraping thread, so it must be quick and must not block.
    public func callbackGauge(name: String, help: String, _ read: @escaping @Sendable () -> Double)
        throws(MetricsError)
    {
        let definition = FamilyDefinition(
            name: name, help: help, kind: .gauge, labelNames: [], buckets: [], isCallback: true)
        _ = try register(definition) { CallbackGaugeFamily(definition, read: read) }
    }

    /// A gauge with one label, `labelName`, whose samples `read` computes at each scrape (label
    /// value and value, one sample each). Same rules for `read` as `callbackGauge`.
    public func callbackGauge(
        name: String, help: String, labelName: String,
        _ read: @escaping @Sendable () -> [(label: String, value: Double)]
    ) throws(MetricsError) {
        if labelName == "le" { throw .invalidLabelName(labelName) }
        let definition = FamilyDefinition(
            name: name, help: help, kind: .gauge, labelNames: [labelName], buckets: [], isCallback: true)
        _ = try register(definition) { LabeledCallbackGaugeFamily(definition, read: read) }
    }

    /// A counter kept elsewhere (a monotonic count another module owns), read when scraped.
    public func callbackCounter(name: String, help: String, _ read: @escaping @Sendable () -> Double)
        throws(MetricsError)
    {
        let definition = FamilyDefinition(
            name: name, help: help, kind: .counter, labelNames: [], buckets: [], isCallback: true)
        _ = try register(definition) { CallbackGaugeFamily(definition, read: read) }
    }

    /// The Prometheus text format 0.0.4 of every family, sorted by name; serve it with
    /// `PrometheusText.contentType`.
    public func exposition() -> String {
        // Copy the list under the lock, render outside it: callbacks may be slow or use the registry.
        let snapshot = families.withLock { Array($0.values) }
            .sorted { $0.definition.name.utf8.lexicographicallyPrecedes($1.definition.name.utf8) }
        var out = ""
        for family in snapshot {
            let d = family.definition
            out += "# HELP " + d.name + " " + PrometheusText.escapeHelp(d.help) + "\n"
            out += "# TYPE " + d.name + " " + d.kind.rawValue + "\n"
            family.renderSamples(into: &out)
        }
        return out
    }

    private func register<Family: RenderableFamily>(
        _ definition: FamilyDefinition, make: () -> Family
    ) throws(MetricsError) -> Family {
        try Self.validate(definition)
        return try families.withLock { (families) throws(MetricsError) -> Family in
            if let existing = families[definition.name] {
                // The same definition again (a module initialised twice) shares the family.
                guard existing.definition == definition, !definition.isCallback,
                    let same = existing as? Family
                else { throw .conflictingRegistration(definition.name) }
                return same
            }
            // `x_count` as a gauge would clash with histogram `x`'s samples.
            let names = Set(definition.seriesNames)
            for other in families.values where !names.isDisjoint(with: other.definition.seriesNames) {
                throw .conflictingRegistration(definition.name)
            }
            let family = make()
            families[definition.name] = family
            return family
        }
    }

    private static func validate(_ definition: FamilyDefinition) throws(MetricsError) {
        guard MetricNames.isValidMetricName(definition.name) else {
            throw .invalidMetricName(definition.name)
        }
        guard !definition.help.isEmpty else { throw .missingHelp(definition.name) }
        var seen = Set<String>()
        for label in definition.labelNames {
            guard MetricNames.isValidLabelName(label), seen.insert(label).inserted else {
                throw .invalidLabelName(label)
            }
        }
    }
}

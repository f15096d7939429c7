import Synchronization

/// Observations counted into buckets, for latencies in seconds. Cache it: `observe` is lock-free.
public final class Histogram: Sendable {
    /// Prometheus' default buckets, in seconds.
    public static let defaultBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    /// Upper bounds without `+Inf`.
    let bounds: [Double]
    /// Per-bucket (not cumulative) counts; the last slot is `+Inf`. Cumulated at scrape time so an
    /// observation touches one counter only.
    private let counts: [AtomicCount]
    private let sum = AtomicDouble()

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = (0...bounds.count).map { _ in AtomicCount() }
    }

    public func observe(_ seconds: Double) {
        // A linear scan beats a binary search for a dozen bounds; NaN falls through to +Inf.
        var index = bounds.count
        for (i, bound) in bounds.enumerated() where seconds <= bound {
            index = i
            break
        }
        counts[index].value.add(1, ordering: .relaxed)
        sum.add(seconds)
    }

    /// Cumulative counts per bound, the last one being `+Inf` (which is also the total count).
    var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return counts.map {
            running += $0.value.load(ordering: .relaxed)
            return running
        }
    }

    public var count: UInt64 { cumulativeCounts.last ?? 0 }
    public var total: Double { sum.load() }
}

final class AtomicCount: Sendable {
    let value = Atomic<UInt64>(0)
}

/// A histogram name with its label names and buckets.
public final class HistogramFamily: Sendable, RenderableFamily {
    let definition: FamilyDefinition
    private let children: LabeledChildren<Histogram>

    init(_ definition: FamilyDefinition) {
        self.definition = definition
        let bounds = definition.buckets
        children = LabeledChildren(labelNames: definition.labelNames) { Histogram(bounds: bounds) }
    }

    public var name: String { definition.name }
    public var labelNames: [String] { definition.labelNames }
    public var buckets: [Double] { definition.buckets }

    /// The child for these label values, in the order of `labelNames`. Cache it on hot paths.
    public func labels(_ values: String...) -> Histogram { children.child(values) }
    public func labels(_ values: [String]) -> Histogram { children.child(values) }

    /// For a family without labels: observes into its only child.
    public func observe(_ seconds: Double) { children.child([]).observe(seconds) }

    func renderSamples(into out: inout String) {
        let bucketName = name + "_bucket"
        let bounds = definition.buckets.map(PrometheusText.format) + ["+Inf"]
        for (values, child) in children.sorted() {
            // Read the counts once so `_count` always equals the `+Inf` bucket.
            let cumulative = child.cumulativeCounts
            for (bound, count) in zip(bounds, cumulative) {
                out +=
                    bucketName + PrometheusText.labelSet(labelNames, values, extra: ("le", bound))
                    + " " + String(count) + "\n"
            }
            let labels = PrometheusText.labelSet(labelNames, values)
            out += name + "_sum" + labels + " " + PrometheusText.format(child.total) + "\n"
            out += name + "_count" + labels + " " + String(cumulative.last ?? 0) + "\n"
        }
    }
}

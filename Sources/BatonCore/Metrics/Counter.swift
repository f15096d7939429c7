/// A monotonically increasing value. Cache it: `inc` is lock-free.
public final class Counter: Sendable {
    private let value = AtomicDouble()

    init() {}

    /// Adds `amount`. Negative or NaN amounts are ignored: a counter never goes down, and a
    /// metrics mistake should not bring the service down.
    public func inc(by amount: Double = 1) {
        guard amount >= 0 else { return }
        value.add(amount)
    }

    public var current: Double { value.load() }
}

/// A counter name with its label names; `labels(...)` gives the child for one combination.
public final class CounterFamily: Sendable, RenderableFamily {
    let definition: FamilyDefinition
    private let children: LabeledChildren<Counter>

    init(_ definition: FamilyDefinition) {
        self.definition = definition
        children = LabeledChildren(labelNames: definition.labelNames) { Counter() }
    }

    public var name: String { definition.name }
    public var labelNames: [String] { definition.labelNames }

    /// The child for these label values, in the order of `labelNames`. Cache it on hot paths.
    public func labels(_ values: String...) -> Counter { children.child(values) }
    public func labels(_ values: [String]) -> Counter { children.child(values) }

    /// For a family without labels: increments its only child.
    public func inc(by amount: Double = 1) { children.child([]).inc(by: amount) }

    func renderSamples(into out: inout String) {
        for (values, child) in children.sorted() {
            out +=
                name + PrometheusText.labelSet(labelNames, values) + " "
                + PrometheusText.format(child.current) + "\n"
        }
    }
}

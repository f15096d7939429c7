/// A value that goes up and down. Cache it: every operation is lock-free.
public final class Gauge: Sendable {
    private let value = AtomicDouble()

    init() {}

    public func set(_ newValue: Double) { value.store(newValue) }
    public func inc(by amount: Double = 1) { value.add(amount) }
    public func dec(by amount: Double = 1) { value.add(-amount) }

    public var current: Double { value.load() }
}

/// A gauge name with its label names; `labels(...)` gives the child for one combination.
public final class GaugeFamily: Sendable, RenderableFamily {
    let definition: FamilyDefinition
    private let children: LabeledChildren<Gauge>

    init(_ definition: FamilyDefinition) {
        self.definition = definition
        children = LabeledChildren(labelNames: definition.labelNames) { Gauge() }
    }

    public var name: String { definition.name }
    public var labelNames: [String] { definition.labelNames }

    /// The child for these label values, in the order of `labelNames`. Cache it on hot paths.
    public func labels(_ values: String...) -> Gauge { children.child(values) }
    public func labels(_ values: [String]) -> Gauge { children.child(values) }

    // For a family without labels: act on its only child.
    public func set(_ newValue: Double) { children.child([]).set(newValue) }
    public func inc(by amount: Double = 1) { children.child([]).inc(by: amount) }
    public func dec(by amount: Double = 1) { children.child([]).dec(by: amount) }

    func renderSamples(into out: inout String) {
        for (values, child) in children.sorted() {
            out +=
                name + PrometheusText.labelSet(labelNames, values) + " "
                + PrometheusText.format(child.current) + "\n"
        }
    }
}

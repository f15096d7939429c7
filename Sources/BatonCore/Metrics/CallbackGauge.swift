/// A gauge (or counter) whose value is computed when scraped (resident memory, queue depth, a
/// count kept by another module).
final class CallbackGaugeFamily: Sendable, RenderableFamily {
    let definition: FamilyDefinition
    private let read: @Sendable () -> Double

    init(_ definition: FamilyDefinition, read: @escaping @Sendable () -> Double) {
        self.definition = definition
        self.read = read
    }

    func renderSamples(into out: inout String) {
        out += definition.name + " " + PrometheusText.format(read()) + "\n"
    }
}

/// A gauge with one label whose samples are computed when scraped: `read` gives each label value
/// with its value (one sample per event loop, say). Values that change between scrapes appear
/// and vanish with them.
final class LabeledCallbackGaugeFamily: Sendable, RenderableFamily {
    let definition: FamilyDefinition
    private let read: @Sendable () -> [(label: String, value: Double)]

    init(_ definition: FamilyDefinition, read: @escaping @Sendable () -> [(label: String, value: Double)]) {
        self.definition = definition
        self.read = read
    }

    func renderSamples(into out: inout String) {
        for sample in read() {
            out +=
                definition.name + PrometheusText.labelSet(definition.labelNames, [sample.label]) + " "
                + PrometheusText.format(sample.value) + "\n"
        }
    }
}

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

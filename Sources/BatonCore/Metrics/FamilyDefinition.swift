/// What a registration declares. Registering a name again must declare exactly the same thing.
struct FamilyDefinition: Sendable, Equatable {
    enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    let name: String
    let help: String
    let kind: Kind
    let labelNames: [String]
    /// Histogram upper bounds without `+Inf`; empty for other kinds.
    let buckets: [Double]
    /// Callback gauges cannot be compared (closures), so registering one twice is a conflict.
    let isCallback: Bool

    /// Every sample name the family writes; two families may not share any.
    var seriesNames: [String] {
        kind == .histogram ? [name, name + "_bucket", name + "_sum", name + "_count"] : [name]
    }
}

/// A registered family as the registry sees it when writing the exposition.
protocol RenderableFamily: AnyObject, Sendable {
    var definition: FamilyDefinition { get }
    /// Appends the sample lines (no HELP/TYPE), children sorted by label values.
    func renderSamples(into out: inout String)
}

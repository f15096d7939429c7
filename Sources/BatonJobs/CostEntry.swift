import BatonJSON

/// What a finished job cost, and where the figure came from.
public struct CostEntry: Sendable, Equatable {
    public enum Source: String, Sendable { case runner, pricing, unpriced }
    public var usd: Double
    public var source: Source

    /// The runner's own figure wins; otherwise the price table `providers.<p>.pricing.<model>` in
    /// USD per million tokens; otherwise the job is recorded with its tokens at zero cost.
    public static func price(
        provider: String, model: String?, tokensInput: Int64, tokensOutput: Int64, reported: Double?,
        providers: JSONValue?
    ) -> CostEntry {
        if let reported { return CostEntry(usd: reported, source: .runner) }
        if let model, let table = providers?[provider]?["pricing"]?[model],
            let input = table["input_per_mtok"]?.doubleValue, let output = table["output_per_mtok"]?.doubleValue
        {
            let usd = (Double(tokensInput) * input + Double(tokensOutput) * output) / 1_000_000
            return CostEntry(usd: usd, source: .pricing)
        }
        return CostEntry(usd: 0, source: .unpriced)
    }
}

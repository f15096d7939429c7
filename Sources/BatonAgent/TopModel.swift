/// One of the node's best-fitting models, as its node API scored it.
public struct TopModel: Sendable, Equatable {
    public var name: String
    /// perfect, good or marginal.
    public var fit: String
    /// 0–100.
    public var score: Double

    public init(name: String, fit: String, score: Double) {
        self.name = name
        self.fit = fit
        self.score = score
    }
}

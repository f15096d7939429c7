/// The analysis of one model on one machine.
public struct ModelFit: Sendable, Equatable {
    public var model: CatalogModel
    public var bestQuant: String
    public var runMode: RunMode
    public var fitLevel: FitLevel
    /// Memory the model needs at `bestQuant` and `contextUsed`, GiB.
    public var requiredGB: Double
    /// The memory pool it is measured against, GiB.
    public var availableGB: Double
    public var utilizationPct: Double
    public var contextUsed: Int
    public var estimatedTPS: Double
    public var quality: Double
    public var speed: Double
    public var fit: Double
    public var context: Double
    public var score: Double
    public var category: UseCase
    /// `mlx` on Apple unified memory for MLX models, else `llamacpp`.
    public var runtime: String
    public var notes: [String]
}

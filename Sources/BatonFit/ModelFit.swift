/// The runtime a model would run on.
public enum Runtime: String, Sendable {
    case llamacpp
    case mlx
    /// Pre-quantised AWQ, GPTQ and AutoRound checkpoints.
    case vllm
    /// Text to speech: nothing the fit models.
    case unsupported

    public var label: String {
        switch self {
        case .llamacpp: "llama.cpp"
        case .mlx: "MLX"
        case .vllm: "vLLM"
        case .unsupported: "unsupported"
        }
    }
}

/// What the speed estimate assumed, so it can be checked.
public struct EstimateBasis: Sendable, Equatable {
    /// `gpu_bandwidth_roofline`, `backend_constant`, `cpu_constant` or `unsupported`.
    public var method: String
    public var gpuBandwidthGBps: Double?
    /// RAM bandwidth for experts read from RAM (MoE offload only).
    public var ramBandwidthGBps: Double?
    public var efficiency: Double = FitAnalysis.efficiency
    public var assumedContext: Int

    public init(method: String, gpuBandwidthGBps: Double? = nil, ramBandwidthGBps: Double? = nil, assumedContext: Int) {
        self.method = method
        self.gpuBandwidthGBps = gpuBandwidthGBps
        self.ramBandwidthGBps = ramBandwidthGBps
        self.assumedContext = assumedContext
    }
}

/// The analysis of one model on one machine.
public struct ModelFit: Sendable, Equatable {
    public var model: CatalogModel
    public var bestQuant: String
    public var runMode: RunMode
    public var fitLevel: FitLevel
    /// Memory that matters in this run mode, GiB (for MoE offload: what VRAM holds).
    public var requiredGB: Double
    /// The memory pool it is measured against, GiB.
    public var availableGB: Double
    /// requiredGB / availableGB · 100 (infinite for an empty pool).
    public var utilizationPct: Double
    /// The context the memory was estimated at.
    public var contextUsed: Int
    /// The context the pool holds once the weights are in, at most the model's own.
    public var usableContext: Int
    public var estimatedTPS: Double
    public var quality: Double
    public var speed: Double
    public var fit: Double
    public var context: Double
    public var score: Double
    public var category: UseCase
    public var runtime: Runtime
    /// Inactive experts held in system RAM (MoE offload only), GiB.
    public var moeOffloadedGB: Double?
    public var basis: EstimateBasis
    public var notes: [String]
}

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
    /// What the analysis noticed, kept as values: the text is made only for the rows answered.
    public var noteList: [FitNote]

    public var notes: [String] { noteList.map(\.text) }
}

/// One note of an analysis.
public enum FitNote: Sendable, Equatable {
    case contextCapped(Int, of: Int)
    case textToSpeech
    case moeWithoutGPU
    case unifiedMemory
    /// Every expert in VRAM (at a ladder quantisation when given).
    case moeAllInVRAM(String?)
    case moeOffload(String, ramGB: Double)
    case moeSpillsToRAM
    case spillsToRAM
    case fitsNowhere
    case gpuMemoryUnknown
    case bestQuant(String, catalog: String)

    public var text: String {
        switch self {
        case .contextCapped(let context, let full):
            "memory estimated at a context of \(context) tokens (the model takes up to \(full); max_context changes it)"
        case .textToSpeech: "needs a text-to-speech runtime, which the fit does not model"
        case .moeWithoutGPU: "MoE: expert offloading needs a GPU; the whole model in system RAM"
        case .unifiedMemory: "unified memory: CPU and GPU share one pool"
        case .moeAllInVRAM(nil): "MoE: every expert in VRAM"
        case .moeAllInVRAM(let quant?): "MoE: every expert in VRAM at \(quant)"
        case .moeOffload(let quant, let ram):
            "MoE: active experts in VRAM at \(quant), \(FitAnalysis.format1(ram)) GB of inactive experts in system RAM"
        case .moeSpillsToRAM: "MoE: too little VRAM to offload experts; the whole model in system RAM, much slower"
        case .spillsToRAM: "does not fit VRAM: layers offloaded to system RAM, much slower"
        case .fitsNowhere: "fits neither VRAM nor system RAM"
        case .gpuMemoryUnknown: "GPU memory unknown: judged on system RAM alone"
        case .bestQuant(let quant, let catalog): "best quantisation here: \(quant) (catalog: \(catalog))"
        }
    }
}

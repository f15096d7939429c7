#if canImport(Glibc)
    import Glibc
#endif

/// A catalog entry: what the analysis reads of a model.
public struct CatalogModel: Sendable, Equatable {
    public let name: String
    public var provider: String
    public var parameterCount: String
    /// Total parameters, in billions.
    public let paramsB: Double
    public var contextLength: Int
    public let useCase: String
    public var releaseDate: String?
    public var isMoE: Bool
    /// Active parameters per token for MoE models, in billions.
    public var activeParamsB: Double?
    public var layers: Int?
    public var kvHeads: Int?
    public var attentionHeads: Int?
    public var headDim: Int?
    /// gguf, awq, gptq, mlx, …
    public let format: String
    /// The catalog's own quantisation.
    public let quantization: String
    public var recommendedRAMGB: Double
    /// Repositories with GGUF builds of it.
    public var ggufSources: [String] = []
    /// What the analysis derives from the text fields, worked out once per model: the whole
    /// catalog is analysed per request, and substring searches were most of that time.
    /// (The fields they come from are constants, so they cannot go stale.)
    let traits: Traits

    public init(
        name: String, provider: String = "", parameterCount: String = "", paramsB: Double, contextLength: Int,
        useCase: String = "General purpose", releaseDate: String? = nil, isMoE: Bool = false,
        activeParamsB: Double? = nil, layers: Int? = nil, kvHeads: Int? = nil, attentionHeads: Int? = nil,
        headDim: Int? = nil, format: String = "gguf", quantization: String = "Q4_K_M", recommendedRAMGB: Double = 0
    ) {
        self.name = name
        self.provider = provider
        self.parameterCount = parameterCount
        self.paramsB = paramsB
        self.contextLength = contextLength
        self.useCase = useCase
        self.releaseDate = releaseDate
        self.isMoE = isMoE
        self.activeParamsB = activeParamsB
        self.layers = layers
        self.kvHeads = kvHeads
        self.attentionHeads = attentionHeads
        self.headDim = headDim
        self.format = format
        self.quantization = quantization
        self.recommendedRAMGB = recommendedRAMGB
        self.traits = Traits(
            name: name, useCase: useCase, format: format, quantization: quantization, paramsB: paramsB)
    }

    /// AWQ, GPTQ and AutoRound checkpoints are quantised once, for good.
    var hasFixedQuantization: Bool { traits.fixedQuantization }

    struct Traits: Sendable, Equatable {
        var category: UseCase
        /// The quality score before the quantisation's penalty.
        var baseQuality: Double
        var fixedQuantization: Bool
        var isMLX: Bool
        /// The bit level of the catalog's own quantisation (parsed from its name once).
        var quantizationBits: Int

        init(name: String, useCase: String, format: String, quantization: String, paramsB: Double) {
            let format = format.lowercased()
            category = UseCase.infer(useCase: useCase, name: name)
            baseQuality = FitAnalysis.baseQuality(name: name, useCase: useCase, paramsB: paramsB, category: category)
            fixedQuantization = format == "awq" || format == "gptq" || format == "autoround"
            isMLX = format == "mlx"
            quantizationBits = Quantization.bits(quantization)
        }
    }
}

public enum RunMode: String, Sendable {
    case gpu
    case moeOffload = "moe_offload"
    case cpuOffload = "cpu_offload"
    case cpuOnly = "cpu_only"

    public var label: String {
        switch self {
        case .gpu: "GPU"
        case .moeOffload: "MoE"
        case .cpuOffload: "CPU+GPU"
        case .cpuOnly: "CPU"
        }
    }

    /// How much of the full speed each mode keeps.
    var speedFactor: Double {
        switch self {
        case .gpu: 1.0
        case .moeOffload: 0.8
        case .cpuOffload: 0.5
        case .cpuOnly: 0.3
        }
    }
}

public enum FitLevel: String, Sendable, CaseIterable, Comparable {
    case perfect, good, marginal
    case tooTight = "too_tight"

    public var label: String {
        switch self {
        case .perfect: "Perfect"
        case .good: "Good"
        case .marginal: "Marginal"
        case .tooTight: "Too Tight"
        }
    }

    /// perfect > good > marginal > too_tight.
    var rank: Int {
        switch self {
        case .perfect: 3
        case .good: 2
        case .marginal: 1
        case .tooTight: 0
        }
    }

    public static func < (a: FitLevel, b: FitLevel) -> Bool { a.rank < b.rank }
}

public enum UseCase: String, Sendable, CaseIterable {
    case general, coding, reasoning, chat, multimodal, embedding

    /// Inferred from the catalog's use-case text and the name, in this order of precedence.
    public static func infer(useCase: String, name: String) -> UseCase {
        let text = (useCase + " " + name).lowercased()
        let lowerName = name.lowercased()
        if text.contains("embedding") || lowerName.contains("embed") || lowerName.contains("bge") { return .embedding }
        if text.contains("code") { return .coding }
        if text.contains("vision") || text.contains("multimodal") { return .multimodal }
        if text.contains("reason") || text.contains("chain-of-thought") || text.contains("deepseek-r1") {
            return .reasoning
        }
        if text.contains("chat") || text.contains("instruction") { return .chat }
        return .general
    }

    /// Weights of quality, speed, fit and context.
    var weights: (quality: Double, speed: Double, fit: Double, context: Double) {
        switch self {
        case .general: (0.45, 0.30, 0.15, 0.10)
        case .coding: (0.50, 0.20, 0.15, 0.15)
        case .reasoning: (0.55, 0.15, 0.15, 0.15)
        case .chat: (0.40, 0.35, 0.15, 0.10)
        case .multimodal: (0.50, 0.20, 0.15, 0.15)
        case .embedding: (0.30, 0.40, 0.20, 0.10)
        }
    }

    var speedTarget: Double {
        switch self {
        case .reasoning: 25
        case .embedding: 200
        default: 40
        }
    }

    var contextTarget: Int {
        switch self {
        case .coding, .reasoning: 8192
        case .embedding: 512
        default: 4096
        }
    }
}

/// Quantisation facts: memory, speed and quality per level.
public enum Quantization {
    /// Tried best first when choosing a quantisation.
    public static let ladder = ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K"]

    public static func bytesPerParameter(_ quant: String) -> Double {
        // The ladder's names as written, without building an upper-cased copy (hot path).
        switch quant {
        case "Q8_0": return 1.05
        case "Q6_K": return 0.80
        case "Q5_K_M": return 0.68
        case "Q4_K_M": return 0.58
        case "Q3_K_M": return 0.48
        case "Q2_K": return 0.37
        default: break
        }
        return switch quant.uppercased() {
        case "Q8_0": 1.05
        case "Q6_K": 0.80
        case "Q5_K_M": 0.68
        case "Q4_K_M", "Q4_0": 0.58
        case "Q3_K_M": 0.48
        case "Q2_K": 0.37
        case "F16", "BF16": 2.0
        case "F32": 4.0
        case "AWQ-4BIT", "GPTQ-INT4", "GPTQ-4BIT", "AUTOROUND-4BIT": 0.5
        case "AWQ-8BIT", "GPTQ-INT8", "GPTQ-8BIT": 1.0
        case "MLX-4BIT": 0.55
        case "MLX-8BIT": 1.0
        default: 0.58
        }
    }

    /// The bit level a quantisation name stands for (4 when unknown).
    static func bits(_ quant: String) -> Int {
        switch quant {
        case "Q8_0": return 8
        case "Q6_K": return 6
        case "Q5_K_M": return 5
        case "Q4_K_M", "Q4_0": return 4
        case "Q3_K_M": return 3
        case "Q2_K": return 2
        default: break
        }
        let q = quant.uppercased()
        if q.hasPrefix("F32") { return 32 }
        if q.hasPrefix("F16") || q.hasPrefix("BF16") { return 16 }
        for bits in [8, 6, 5, 4, 3, 2]
        where q.hasPrefix("Q\(bits)") || q.contains("\(bits)BIT") || q.contains("INT\(bits)") {
            return bits
        }
        return 4
    }

    /// Bytes read per parameter per token, for the bandwidth estimate.
    static func speedBytesPerParameter(bits: Int) -> Double {
        switch bits {
        case 32: 4.0
        case 16: 2.0
        case 8: 1.0
        case 6: 0.75
        case 5: 0.625
        case 3: 0.375
        case 2: 0.25
        default: 0.5
        }
    }

    static func speedMultiplier(bits: Int) -> Double {
        switch bits {
        case 16, 32: 0.6
        case 8: 0.8
        case 6: 0.95
        case 5: 1.0
        case 3: 1.25
        case 2: 1.35
        default: 1.15
        }
    }

    static func qualityPenalty(bits: Int) -> Double {
        switch bits {
        case 8, 16, 32: 0
        case 6: -1
        case 5: -2
        case 3: -8
        case 2: -12
        default: -5
        }
    }
}

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

/// The formulas of SPEC §11.4–§11.8: pure functions of a system and a catalog entry.
public enum FitAnalysis {
    /// Memory bandwidth in GB/s by GPU name, most specific names first.
    static let bandwidth: [(name: String, gbps: Double)] = [
        ("RTX 5090", 1792), ("RTX 4090", 1008), ("RTX 3090", 936), ("RTX 3060", 360), ("H100 PCIe", 2039),
        ("H100 SXM", 3350), ("RX 7900 XTX", 960), ("M1 Max", 400), ("M4 Max", 546), ("MI300X", 5300),
        ("H200", 4800), ("A100", 1555), ("L4", 300), ("T4", 320), ("M1", 68),
    ]

    /// The bandwidth of a GPU whose name contains a known name as whole words ("L4" is not "L40S").
    public static func bandwidthGBps(gpuName: String) -> Double? {
        let words = tokens(gpuName)
        for entry in bandwidth.sorted(by: { $0.name.count > $1.name.count }) {
            let key = tokens(entry.name)
            guard key.count <= words.count else { continue }
            for start in 0...(words.count - key.count) where Array(words[start..<(start + key.count)]) == key {
                return entry.gbps
            }
        }
        return nil
    }

    static func tokens(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
    }

    static func kBackend(_ backend: Backend) -> Double {
        switch backend {
        case .cuda: 220
        case .rocm: 180
        case .vulkan: 150
        case .sycl: 100
        case .metal: 160
        case .cpuX86: 70
        case .cpuARM: 90
        }
    }

    /// KV cache in GiB at `context` tokens.
    static func kvCacheGB(_ model: CatalogModel, context: Int) -> Double {
        if let layers = model.layers, let headDim = model.headDim, layers > 0, headDim > 0 {
            let heads = model.kvHeads ?? model.attentionHeads ?? 8
            let bytes = 2.0 * Double(layers) * Double(heads) * Double(headDim) * Double(context) * 2.0
            return bytes / (1024 * 1024 * 1024)
        }
        return 0.000008 * model.paramsB * Double(context)
    }

    /// `params · bpp + kv + 0.5` GiB.
    static func requiredGB(_ model: CatalogModel, quant: String, context: Int) -> Double {
        model.paramsB * Quantization.bytesPerParameter(quant) + kvCacheGB(model, context: context) + 0.5
    }

    /// The first quantisation (and context) that `fits`; tried at the full estimation context,
    /// then at half of it when that is still 1024 or more.
    static func bestQuant(_ model: CatalogModel, context: Int, fits: (String, Int) -> Bool) -> (String, Int)? {
        let candidates = model.hasFixedQuantization ? [model.quantization] : Quantization.ladder
        for ctx in context / 2 >= 1024 ? [context, context / 2] : [context] {
            if let quant = candidates.first(where: { fits($0, ctx) }) { return (quant, ctx) }
        }
        return nil
    }

    public static func analyse(_ model: CatalogModel, on system: SystemSpecs, maxContext: Int? = nil) -> ModelFit {
        analyse(
            model, on: system, bandwidth: system.gpuName.flatMap { bandwidthGBps(gpuName: $0) }, maxContext: maxContext)
    }

    /// With the GPU's bandwidth looked up once by the caller (a whole catalog shares it).
    static func analyse(_ model: CatalogModel, on system: SystemSpecs, bandwidth: Double?, maxContext: Int?) -> ModelFit
    {
        let context = max(1, min(model.contextLength, maxContext ?? 8192))
        var notes: [String] = []
        var mode: RunMode
        var pool: Double
        var chosen: (String, Int)?

        if system.unifiedMemory {
            mode = .gpu
            pool = system.totalRAMGB
            chosen = bestQuant(model, context: context) { requiredGB(model, quant: $0, context: $1) <= pool }
            notes.append("unified memory: the whole of RAM is the pool")
        } else if system.hasGPU, let vram = system.gpuVRAMGB {
            let ram = system.availableRAMGB
            if let onGPU = bestQuant(
                model, context: context, fits: { requiredGB(model, quant: $0, context: $1) <= vram })
            {
                (mode, pool, chosen) = (.gpu, vram, onGPU)
            } else if model.isMoE, let active = model.activeParamsB,
                let split = bestQuant(
                    model, context: context,
                    fits: { quant, ctx in
                        let bpp = Quantization.bytesPerParameter(quant)
                        let hot = active * bpp + kvCacheGB(model, context: ctx) + 0.5
                        return hot <= vram && (model.paramsB - active) * bpp <= ram
                    })
            {
                (mode, pool, chosen) = (.moeOffload, vram + ram, split)
                notes.append("MoE: active experts in VRAM, the rest in RAM")
            } else if let offload = bestQuant(
                model, context: context, fits: { requiredGB(model, quant: $0, context: $1) <= ram })
            {
                (mode, pool, chosen) = (.cpuOffload, ram, offload)
                notes.append("does not fit VRAM: layers offloaded to system RAM")
            } else {
                (mode, pool, chosen) = (.gpu, vram, nil)
            }
        } else {
            mode = .cpuOnly
            pool = system.availableRAMGB
            chosen = bestQuant(model, context: context) { requiredGB(model, quant: $0, context: $1) <= pool }
            if system.hasGPU { notes.append("GPU memory unknown: judged on system RAM alone") }
        }
        let (quant, contextUsed) = chosen ?? (model.quantization, context)
        let bits = quant == model.quantization ? model.traits.quantizationBits : Quantization.bits(quant)
        if contextUsed < context { notes.append("fits only at a context of \(contextUsed) tokens") }
        let required = requiredGB(model, quant: quant, context: contextUsed)

        let level: FitLevel
        if required > pool {
            level = .tooTight
        } else if mode == .gpu && model.recommendedRAMGB > 0 && model.recommendedRAMGB <= pool {
            level = .perfect
        } else if pool >= 1.2 * required {
            level = .good
        } else {
            level = .marginal
        }

        let params = max(0.1, model.isMoE ? (model.activeParamsB ?? model.paramsB) : model.paramsB)
        let tps: Double
        if mode != .cpuOnly, let gbps = bandwidth {
            tps = gbps / (params * Quantization.speedBytesPerParameter(bits: bits)) * 0.55 * mode.speedFactor
        } else {
            let backend = mode == .cpuOnly ? system.cpuBackend : system.backend
            tps =
                kBackend(backend) / params * Quantization.speedMultiplier(bits: bits) * (system.cpuCores >= 8 ? 1.1 : 1)
                * mode.speedFactor
        }

        let category = model.traits.category
        let quality = min(100, max(0, model.traits.baseQuality + Quantization.qualityPenalty(bits: bits)))
        let speed = min(100, tps / category.speedTarget * 100)
        let ratio = pool > 0 ? required / pool : .infinity
        let fit = level == .tooTight ? 0 : 100 * exp(-0.5 * pow(max(0, (ratio - 0.7) / 0.2), 2))
        let target = category.contextTarget
        let contextScore: Double = model.contextLength >= target ? 100 : (model.contextLength >= target / 2 ? 70 : 30)
        let w = category.weights
        let weighted = quality * w.quality + speed * w.speed + fit * w.fit + contextScore * w.context
        let runtime =
            system.unifiedMemory && system.backend == .metal && model.traits.isMLX ? "mlx" : "llamacpp"
        return ModelFit(
            model: model, bestQuant: quant, runMode: mode, fitLevel: level, requiredGB: required, availableGB: pool,
            utilizationPct: pool > 0 ? required / pool * 100 : 0, contextUsed: contextUsed, estimatedTPS: tps,
            quality: quality, speed: speed, fit: fit, context: contextScore, score: (weighted * 10).rounded() / 10,
            category: category, runtime: runtime, notes: notes)
    }

    /// Size, family, coding, reasoning and vision bonuses: everything of the quality score but
    /// the quantisation's penalty (the clamp comes after the penalty).
    static func baseQuality(name: String, useCase: String, paramsB p: Double, category: UseCase) -> Double {
        var score: Double =
            p < 1 ? 30 : p < 3 ? 45 : p < 7 ? 60 : p < 10 ? 75 : p < 20 ? 82 : p < 40 ? 89 : 95
        let name = name.lowercased()
        let families: [(String, Double)] = [
            ("deepseek", 3), ("qwen", 2), ("llama", 2), ("mixtral", 1), ("mistral", 1), ("gemma", 1), ("starcoder", 1),
        ]
        if let family = families.first(where: { name.contains($0.0) }) { score += family.1 }
        if name.contains("code") || name.contains("coder") || name.contains("starcoder") { score += 6 }
        if category == .reasoning && p >= 13 { score += 5 }
        if (name + " " + useCase.lowercased()).contains("vision") { score += 6 }
        return score
    }
}

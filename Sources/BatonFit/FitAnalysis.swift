#if canImport(Glibc)
    import Glibc
#endif

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

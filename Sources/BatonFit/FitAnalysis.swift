#if canImport(Glibc)
    import Glibc
#endif

/// The fit algorithm of SPEC §11.4–§11.8 (llmfit's, at commit 3f44fd3): pure functions of a
/// system, a catalog entry and the month.
public enum FitAnalysis {
    /// Context used for memory estimates when the caller sets none.
    public static let defaultEstimationContext = 8192
    /// Share of raw bandwidth a decode step gets.
    static let efficiency = 0.55
    /// RAM bandwidth assumed for MoE experts read from RAM when the system does not say, GB/s.
    static let defaultRAMBandwidth = 50.0
    static let gib = 1024.0 * 1024.0 * 1024.0

    /// What every model's analysis on one machine shares, worked out once per catalog pass.
    struct Machine {
        var system: SystemSpecs
        var hasGPU: Bool
        var unified: Bool
        /// One primary card's VRAM.
        var gpuVRAM: Double?
        /// All counted cards' VRAM.
        var totalVRAM: Double?
        var gpuName: String?
        var backend: Backend
        var bandwidth: Double?
        var ramBandwidth: Double
        /// The primary GPU's NVIDIA compute capability, when known.
        var computeCapability: (Int, Int)?
        /// This month as year · 12 + month (for the recency bonus).
        var month: Int

        init(_ system: SystemSpecs, month: Int) {
            self.system = system
            hasGPU = system.hasGPU
            unified = system.isUnifiedMemory
            gpuVRAM = system.gpuVRAMGB
            totalVRAM = system.totalGPUVRAMGB
            gpuName = system.gpuName
            backend = system.backend
            bandwidth = system.gpuName.flatMap(GPUFacts.bandwidthGBps(gpuName:))
            ramBandwidth = system.ramBandwidthGBps.flatMap { $0 > 0 ? $0 : nil } ?? FitAnalysis.defaultRAMBandwidth
            computeCapability = system.gpuName.flatMap(GPUFacts.computeCapability(gpuName:))
            self.month = month
        }
    }

    /// The GPU bandwidth table (GPUFacts), kept here for callers of the old name.
    public static func bandwidthGBps(gpuName: String) -> Double? { GPUFacts.bandwidthGBps(gpuName: gpuName) }

    /// This month (UTC) as year · 12 + month.
    public static func currentMonth() -> Int {
        let days = Int(time(nil)) / 86_400
        let (year, month) = civil(daysSinceEpoch: days)
        return year * 12 + month
    }

    /// Days since 1970-01-01 as a proleptic Gregorian (year, month) (Howard Hinnant's method).
    static func civil(daysSinceEpoch: Int) -> (Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month)
    }

    /// KV cache in GiB at `context` tokens (fp16): per layer 2 · kv heads · head dim · 2 bytes
    /// per token when layers and head dim are known (kv heads, else attention heads, else 8);
    /// else 0.000008 · params · context.
    static func kvCacheGB(_ model: CatalogModel, context: Int) -> Double {
        if let layers = model.layers, let headDim = model.headDim {
            let heads = model.kvHeads ?? model.attentionHeads ?? 8
            let bytes = 2.0 * Double(heads) * Double(headDim) * Double(context) * 2.0 * Double(layers)
            return bytes / gib
        }
        return 0.000008 * model.paramsB * Double(context)
    }

    /// `params · bpp + kv + 0.5` GiB.
    static func requiredGB(_ model: CatalogModel, quant: String, context: Int) -> Double {
        model.paramsB * Quantization.bytesPerParameter(quant) + kvGB(model, context) + 0.5
    }

    /// The KV cache from the per-token figure worked out once (exact for both formulas, which
    /// are linear in the context).
    @inline(__always) static func kvGB(_ model: CatalogModel, _ context: Int) -> Double {
        if let layers = model.layers, let headDim = model.headDim {
            let heads = model.kvHeads ?? model.attentionHeads ?? 8
            return 2.0 * Double(heads) * Double(headDim) * Double(context) * 2.0 * Double(layers) / gib
        }
        return 0.000008 * model.paramsB * Double(context)
    }

    /// The first quantisation of `ladder` whose requirement fits `budget` at `context`, then at
    /// half of it when that is 1024 tokens or more: (quant, required GiB).
    static func bestQuant(_ model: CatalogModel, ladder: [String], budget: Double, context: Int) -> (String, Double)? {
        for ctx in context / 2 >= 1024 ? [context, context / 2] : [context] {
            for quant in ladder {
                let required = requiredGB(model, quant: quant, context: ctx)
                if required <= budget { return (quant, required) }
            }
        }
        return nil
    }

    /// The quantisation a runtime would pick within `budget`: a pre-quantised model's own
    /// when it fits; else its ladder (`ladder(for:runtime:)`), on MLX then the GGUF one.
    static func bestQuant(_ model: CatalogModel, runtime: Runtime, budget: Double, context: Int) -> (String, Double)? {
        if runtime == .vllm {
            let required = requiredGB(model, quant: model.quantization, context: context)
            return required <= budget ? (model.quantization, required) : nil
        }
        return bestQuant(model, ladder: ladder(for: model, runtime: runtime), budget: budget, context: context)
            ?? (runtime == .mlx ? bestQuant(model, ladder: Quantization.ladder, budget: budget, context: context) : nil)
    }

    /// ONNX models' own ladder, else MLX's on MLX, else the GGUF ladder.
    static func ladder(for model: CatalogModel, runtime: Runtime) -> [String] {
        model.traits.isONNX ? Quantization.onnxLadder : runtime == .mlx ? Quantization.mlxLadder : Quantization.ladder
    }

    /// A MoE model's active experts in VRAM (× 1.1, at least 0.5 GiB) and the rest in RAM, GiB,
    /// at `quant`; nil for dense models or when the counts are unknown.
    static func moeSplitMemory(_ model: CatalogModel, quant: String) -> (vram: Double, ram: Double)? {
        guard model.isMoE, let active = model.activeParamsB, model.parametersRaw != nil else { return nil }
        let bpp = Quantization.bytesPerParameter(quant)
        let activeBytes = active * 1_000_000_000 * bpp
        let inactive = max(0, model.paramsB - active) * 1_000_000_000
        return (max(0.5, activeBytes / gib * 1.1), inactive * bpp / gib)
    }

    /// RAM the inactive experts take at the catalog's own quantisation, GiB.
    static func moeOffloadedGB(_ model: CatalogModel) -> Double? {
        guard model.isMoE, let active = model.activeParamsB, model.parametersRaw != nil else { return nil }
        let inactive = (model.paramsB - active) * 1_000_000_000
        return inactive <= 0 ? 0 : inactive * Quantization.bytesPerParameter(model.quantization) / gib
    }

    /// The MoE bandwidth split (billions of parameters): the active experts' FFN weights (three
    /// projections each) and the fixed part a token always reads (attention, shared experts,
    /// router, output head and embedding); nil without the architecture's sizes.
    static func moeBandwidthSplit(_ model: CatalogModel) -> (activeFFN: Double, fixed: Double)? {
        guard model.isMoE, let hidden = model.hiddenSize.map(Double.init), let layers = model.layers.map(Double.init),
            let activeExperts = model.activeExperts.map(Double.init),
            let expertFFN = model.moeIntermediateSize.map(Double.init), let vocab = model.vocabSize.map(Double.init)
        else { return nil }
        let experts = Double(model.numExperts ?? 8)
        let heads = Double(model.attentionHeads ?? 1)
        let kvHeads = Double(model.kvHeads ?? model.attentionHeads ?? 1)
        let headDim = model.headDim.map(Double.init) ?? hidden / heads
        let activeFFN = layers * activeExperts * 3 * hidden * expertFFN
        let attention = layers * (2 * heads * headDim * hidden + 2 * kvHeads * headDim * hidden)
        let shared = layers * 3 * hidden * Double(model.sharedExpertIntermediateSize ?? 0)
        let router = layers * experts * hidden
        let fixed = attention + shared + router + 2 * vocab * hidden
        return (activeFFN / 1_000_000_000, fixed / 1_000_000_000)
    }

    /// Whether llmfit would list the model on this machine at all: not text-to-speech; MLX
    /// conversions only on Apple (Metal with unified memory); pre-quantised models only on CUDA
    /// or ROCm, and on a known NVIDIA card only from the compute capability their kernels need.
    public static func backendCompatible(_ model: CatalogModel, on system: SystemSpecs) -> Bool {
        backendCompatible(model, on: Machine(system, month: 0))
    }

    static func backendCompatible(_ model: CatalogModel, on machine: Machine) -> Bool {
        if model.traits.requiresSpecializedRuntime { return false }
        if model.traits.isMLXModel { return machine.backend == .metal && machine.unified }
        guard model.isPrequantized else { return true }
        guard machine.backend == .cuda || machine.backend == .rocm else { return false }
        if machine.backend == .cuda, let needed = GPUFacts.minimumComputeCapability(quantization: model.quantization),
            let has = machine.computeCapability
        {
            return has >= needed
        }
        return true
    }

    public static func analyse(
        _ model: CatalogModel, on system: SystemSpecs, maxContext: Int? = nil, month: Int = currentMonth()
    ) -> ModelFit {
        analyse(model, on: Machine(system, month: month), maxContext: maxContext)
    }

    static func analyse(_ model: CatalogModel, on machine: Machine, maxContext: Int?) -> ModelFit {
        let system = machine.system
        let context = min(model.contextLength, maxContext ?? defaultEstimationContext)
        var notes: [FitNote] = []
        if context < model.contextLength {
            notes.append(.contextCapped(context, of: model.contextLength))
        }
        let minVRAM = model.minVRAMGB ?? model.minRAMGB
        let category = model.traits.category
        let runtime: Runtime =
            model.isPrequantized ? .vllm : machine.backend == .metal && machine.unified ? .mlx : .llamacpp
        func choose(_ budget: Double) -> (String, Double)? {
            bestQuant(model, runtime: runtime, budget: budget, context: context)
        }
        func defaultRequired() -> Double { requiredGB(model, quant: model.quantization, context: context) }

        var mode: RunMode
        var required: Double
        var pool: Double
        if model.traits.requiresSpecializedRuntime {
            notes.append(.textToSpeech)
            return ModelFit(
                model: model, bestQuant: model.quantization, runMode: .cpuOnly, fitLevel: .tooTight,
                requiredGB: defaultRequired(), availableGB: 0, utilizationPct: 0, contextUsed: context,
                usableContext: 0, estimatedTPS: 0, quality: 0, speed: 0, fit: 0, context: 0, score: 0,
                category: category, runtime: .unsupported, moeOffloadedGB: nil,
                basis: EstimateBasis(method: "unsupported", assumedContext: context), noteList: notes)
        }

        func cpuPath() -> (RunMode, Double, Double) {
            let ram = system.availableRAMGB
            if model.isMoE {
                notes.append(.moeWithoutGPU)
                return (.cpuOnly, model.minRAMGB, ram)
            }
            return (.cpuOnly, choose(ram)?.1 ?? defaultRequired(), ram)
        }

        if machine.hasGPU && machine.unified {
            if let shared = machine.gpuVRAM {
                notes.append(.unifiedMemory)
                if model.isMoE {
                    (mode, required, pool) = (.gpu, minVRAM, shared)
                } else {
                    (mode, required, pool) = (.gpu, choose(shared)?.1 ?? defaultRequired(), shared)
                }
            } else {
                (mode, required, pool) = cpuPath()
            }
        } else if machine.hasGPU, let vram = machine.totalVRAM {
            let ram = system.availableRAMGB
            if model.isMoE && minVRAM <= vram {
                notes.append(.moeAllInVRAM(nil))
                (mode, required, pool) = (.gpu, minVRAM, vram)
            } else if model.isMoE {
                if let (quant, memory) = bestQuant(model, runtime: runtime, budget: vram, context: context) {
                    notes.append(.moeAllInVRAM(quant))
                    (mode, required, pool) = (.gpu, memory, vram)
                } else {
                    (mode, required, pool) = moeOffloadPath(
                        model, runtime: runtime, vram: vram, ram: ram, fullVRAM: minVRAM, notes: &notes)
                }
            } else if let (_, memory) = choose(vram) {
                (mode, required, pool) = (.gpu, memory, vram)
            } else if let (_, memory) = choose(ram) {
                notes.append(.spillsToRAM)
                (mode, required, pool) = (.cpuOffload, memory, ram)
            } else {
                notes.append(.fitsNowhere)
                (mode, required, pool) = (.gpu, defaultRequired(), vram)
            }
        } else {
            if machine.hasGPU { notes.append(.gpuMemoryUnknown) }
            (mode, required, pool) = cpuPath()
        }

        let level = fitLevel(required: required, pool: pool, recommended: model.recommendedRAMGB, mode: mode)
        let moeOffloaded = mode == .moeOffload ? moeOffloadedGB(model) : nil

        // The quantisation the pool allows (a pre-quantised model keeps its own).
        var quant = model.quantization
        if !model.isPrequantized {
            if let (best, _) = bestQuant(
                model, ladder: ladder(for: model, runtime: runtime), budget: pool, context: context)
                ?? (runtime == .mlx
                    ? bestQuant(model, ladder: Quantization.ladder, budget: pool, context: context) : nil)
            {
                quant = best
            }
        }
        if quant != model.quantization {
            notes.append(.bestQuant(quant, catalog: model.quantization))
        }

        let tps = estimateTPS(model, quant: quant, machine: machine, mode: mode, runtime: runtime)
        let method =
            mode == .cpuOnly ? "cpu_constant" : machine.bandwidth != nil ? "gpu_bandwidth_roofline" : "backend_constant"
        let basis = EstimateBasis(
            method: method, gpuBandwidthGBps: mode == .cpuOnly ? nil : machine.bandwidth,
            ramBandwidthGBps: mode == .moeOffload ? machine.ramBandwidth : nil, assumedContext: context)

        let quality = qualityScore(model, quant: quant, month: machine.month)
        let speed = min(100, max(0, tps / category.speedTarget * 100))
        let fit = fitScore(required: required, pool: pool)
        let target = category.contextTarget
        let contextScore: Double = model.contextLength >= target ? 100 : (model.contextLength >= target / 2 ? 70 : 30)
        let w = category.weights
        let weighted = quality * w.quality + speed * w.speed + fit * w.fit + contextScore * w.context

        // The context the pool holds once the weights and overhead are in, up to the model's.
        let usable: Int
        let perToken = kvGB(model, 4096) / 4096
        if perToken > 0 {
            let leftover = max(0, pool - requiredGB(model, quant: quant, context: 0))
            let tokens = (leftover / perToken).rounded(.towardZero)
            usable = min(tokens < Double(UInt32.max) ? Int(tokens) : Int(UInt32.max), model.contextLength)
        } else {
            usable = model.contextLength
        }
        return ModelFit(
            model: model, bestQuant: quant, runMode: mode, fitLevel: level, requiredGB: required, availableGB: pool,
            utilizationPct: pool > 0 ? required / pool * 100 : .infinity, contextUsed: context, usableContext: usable,
            estimatedTPS: tps, quality: quality, speed: speed, fit: fit, context: contextScore,
            score: (weighted * 10).rounded() / 10, category: category, runtime: runtime, moeOffloadedGB: moeOffloaded,
            basis: basis, noteList: notes)
    }

    /// Active experts in VRAM and the rest in RAM, at the first quantisation where both fit;
    /// else the whole model in RAM when its minimum fits; else too tight against VRAM.
    static func moeOffloadPath(
        _ model: CatalogModel, runtime: Runtime, vram: Double, ram: Double, fullVRAM: Double, notes: inout [FitNote]
    ) -> (RunMode, Double, Double) {
        let first = ladder(for: model, runtime: runtime)
        let ladders = runtime == .mlx ? [first, Quantization.ladder] : [first]
        for ladder in ladders {
            for quant in ladder {
                if let split = moeSplitMemory(model, quant: quant), split.vram <= vram, split.ram <= ram {
                    notes.append(.moeOffload(quant, ramGB: split.ram))
                    return (.moeOffload, split.vram, vram)
                }
            }
        }
        if model.minRAMGB <= ram {
            notes.append(.moeSpillsToRAM)
            return (.cpuOffload, model.minRAMGB, ram)
        }
        notes.append(.fitsNowhere)
        return (.gpu, fullVRAM, vram)
    }

    static func format1(_ x: Double) -> String {
        let tenths = (x * 10).rounded()
        guard tenths.isFinite, abs(tenths) < 1e15 else { return "\(x)" }
        let n = Int(tenths)
        return "\(n / 10).\(abs(n % 10))"
    }

    /// Too tight when it does not fit; on the GPU perfect when the recommended memory fits too;
    /// else good with a fifth to spare, marginal without.
    static func fitLevel(required: Double, pool: Double, recommended: Double, mode: RunMode) -> FitLevel {
        if required > pool { return .tooTight }
        if mode == .gpu && recommended <= pool { return .perfect }
        return pool >= required * 1.2 ? .good : .marginal
    }

    /// 0 when it does not fit; 100 up to 70 % of the pool, then a one-sided Gaussian (σ 0.2).
    static func fitScore(required: Double, pool: Double) -> Double {
        if pool <= 0 || required > pool { return 0 }
        let z = max(0, (required / pool - 0.7) / 0.2)
        return min(100, max(0, 100 * exp(-0.5 * z * z)))
    }

    /// The decode speed estimate, tokens per second (at least 0.1).
    static func estimateTPS(_ model: CatalogModel, quant: String, machine: Machine, mode: RunMode, runtime: Runtime)
        -> Double
    {
        let params = max(0.1, model.isMoE ? (model.activeParamsB ?? model.paramsB) : model.paramsB)
        let cores = machine.system.cpuCores
        if mode != .cpuOnly, let bandwidth = machine.bandwidth {
            let activeGB = params * Quantization.speedBytesPerParameter(quant)
            if model.isMoE && (mode == .moeOffload || mode == .gpu) {
                if mode == .moeOffload {
                    let time = activeGB / machine.ramBandwidth + activeGB / (bandwidth * efficiency)
                    return max(0.1, 1 / time * mode.speedFactor)
                }
                let pressure = vramPressure(model, quant: quant, vram: machine.gpuVRAM)
                if let split = model.traits.moeSplit {
                    let bytes = split.activeFFN * Quantization.bytesPerParameter(quant) + split.fixed * 3.2
                    return max(0.1, bandwidth / bytes * mode.speedFactor * pressure)
                }
                let overhead: Double =
                    switch model.numExperts {
                    case .some(let n) where n <= 8: 0.90
                    case .some(let n) where n <= 16: 0.85
                    case .some(let n) where n <= 32: 0.80
                    case .some(let n) where n <= 64: 0.70
                    case .some: 0.40
                    case .none: 0.60
                    }
                let moeGB = params * Quantization.bytesPerParameter(quant)
                return max(0.1, bandwidth / moeGB * efficiency * overhead * mode.speedFactor * pressure)
            }
            return max(0.1, bandwidth / activeGB * efficiency * mode.speedFactor)
        }
        let k: Double =
            switch (machine.backend, runtime) {
            case (_, .unsupported): 0
            case (.metal, .mlx): 250
            case (.metal, _): 160
            case (.cuda, _): 220
            case (.rocm, _): 180
            case (.vulkan, _): 150
            case (.sycl, _): 100
            case (.cpuARM, _): 90
            case (.cpuX86, _): 70
            }
        let threads = cores >= 8 ? 1.1 : 1.0
        if mode == .moeOffload {
            let bpp = Quantization.speedBytesPerParameter(quant)
            let gpuBandwidth = k * bpp / efficiency
            let activeGB = params * bpp
            let time = activeGB / machine.ramBandwidth + activeGB / (gpuBandwidth * efficiency)
            return max(0.1, 1 / time) * threads
        }
        var tps = k / params * Quantization.speedMultiplier(quant) * threads
        if mode == .cpuOnly {
            tps = hostCPUConstant / params * Quantization.speedMultiplier(quant) * threads
        }
        return max(0.1, tps * mode.speedFactor)
    }

    /// The CPU-only constant follows the machine the estimate runs on, as llmfit's does.
    #if arch(arm64)
        static let hostCPUConstant = 90.0
    #else
        static let hostCPUConstant = 70.0
    #endif

    /// All experts in VRAM crowd its cache: above 60 % of one card, the estimate drops by the
    /// excess times the share of inactive experts (half when unknown), to no less than 0.3.
    static func vramPressure(_ model: CatalogModel, quant: String, vram: Double?) -> Double {
        guard let vram else { return 1 }
        let utilisation = model.paramsB * Quantization.bytesPerParameter(quant) / vram
        if utilisation > 1 || utilisation < 0.6 { return 1 }
        let inactiveShare = model.numExperts.map { 1 - Double(model.activeExperts ?? 1) / Double($0) } ?? 0.5
        return max(0.3, 1 - (utilisation - 0.6) * inactiveShare)
    }

    /// The quality component: the model's base (size, family, generation, task) plus the
    /// recency bonus and the quantisation's penalty, clamped to 0–100.
    static func qualityScore(_ model: CatalogModel, quant: String, month: Int) -> Double {
        var recency = 0.0
        if let released = model.traits.releaseMonth {
            let months = max(0, month - released)
            recency = months < 3 ? 3 : months < 9 ? 1.5 : 0
        }
        return min(100, max(0, model.traits.baseQuality + recency + Quantization.qualityPenalty(quant)))
    }

    /// Size (on active parameters for MoE), family, generation and task alignment: everything
    /// of the quality score that does not depend on the quantisation or the date.
    static func baseQuality(_ model: CatalogModel, category: UseCase) -> Double {
        let q = model.activeParamsB ?? model.paramsB
        let size: Double = q < 1 ? 30 : q < 3 ? 45 : q < 7 ? 60 : q < 10 ? 75 : q < 20 ? 82 : q < 40 ? 89 : 95
        let name = model.name.lowercased()
        let family: Double =
            name.contains("qwen")
            ? 2
            : name.contains("deepseek")
                ? 3
                : name.contains("llama")
                    ? 2
                    : name.contains("mistral") || name.contains("mixtral")
                        ? 1
                        : name.contains("gemma")
                            ? 1
                            : name.contains("phi")
                                ? 0
                                : name.contains("starcoder") ? 1 : 0
        let generation = ModelGeneration.qualityBonus(architecture: model.architecture, name: model.name)
        let task: Double
        if let bench = TaskBenchmarks.score(lowerName: name, task: category) {
            task = min(9, max(-8, (bench - 72) * 0.4))
        } else {
            switch category {
            case .coding:
                task = name.contains("code") || name.contains("starcoder") || name.contains("wizard") ? 6 : 0
            case .reasoning:
                task = model.paramsB >= 13 ? 5 : 0
            case .multimodal:
                task = name.contains("vision") || model.useCase.lowercased().contains("vision") ? 6 : 0
            default:
                task = 0
            }
        }
        return size + family + generation + task
    }
}

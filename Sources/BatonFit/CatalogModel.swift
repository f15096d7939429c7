/// A catalog entry: what the analysis reads of a model (the fields of llmfit's model list that its
/// fit algorithm uses; scripts/make-catalog.py keeps them).
public struct CatalogModel: Sendable, Equatable {
    public let name: String
    public var provider: String
    public var parameterCount: String
    /// Total parameters, in billions (the exact count / 10⁹ when the catalog gives one).
    public let paramsB: Double
    /// The exact parameter count, when known.
    public let parametersRaw: Int64?
    public let contextLength: Int
    public let useCase: String
    public let releaseDate: String?
    public let isMoE: Bool
    /// Active parameters per token, in billions (MoE models).
    public let activeParamsB: Double?
    public let numExperts: Int?
    public let activeExperts: Int?
    public let layers: Int?
    public let kvHeads: Int?
    public let attentionHeads: Int?
    public let headDim: Int?
    public let hiddenSize: Int?
    public let moeIntermediateSize: Int?
    public let vocabSize: Int?
    public let sharedExpertIntermediateSize: Int?
    /// gguf, awq, gptq, autoround, mlx, …
    public let format: String
    /// The catalog's own quantisation.
    public let quantization: String
    public let minRAMGB: Double
    public let recommendedRAMGB: Double
    /// VRAM the catalog says the model needs; nil when it does not say (then `minRAMGB`).
    public let minVRAMGB: Double?
    /// The Hugging Face architecture string (`llama`, `qwen3_moe`, …).
    public let architecture: String?
    public var license: String?
    /// Capabilities as the catalog gives them; `capabilities` adds the inferred ones.
    public let declaredCapabilities: [Capability]
    /// Repositories with GGUF builds of it.
    public var ggufSources: [String] = []
    /// What the analysis derives from the text fields, worked out once per model: the whole
    /// catalog is analysed per request, and substring searches were most of that time.
    /// (The fields they come from are constants, so they cannot go stale.)
    private(set) var traits: Traits

    public init(
        name: String, provider: String = "", parameterCount: String = "", paramsB: Double,
        parametersRaw: Int64? = nil, contextLength: Int, useCase: String = "General purpose",
        releaseDate: String? = nil, isMoE: Bool = false, activeParamsB: Double? = nil, numExperts: Int? = nil,
        activeExperts: Int? = nil, layers: Int? = nil, kvHeads: Int? = nil, attentionHeads: Int? = nil,
        headDim: Int? = nil, hiddenSize: Int? = nil, moeIntermediateSize: Int? = nil, vocabSize: Int? = nil,
        sharedExpertIntermediateSize: Int? = nil, format: String = "gguf", quantization: String = "Q4_K_M",
        minRAMGB: Double? = nil, recommendedRAMGB: Double = 0, minVRAMGB: Double? = nil, architecture: String? = nil,
        license: String? = nil, capabilities: [Capability] = []
    ) {
        self.name = name
        self.provider = provider
        self.parameterCount = parameterCount
        self.parametersRaw = parametersRaw
        self.paramsB = parametersRaw.map { Double($0) / 1_000_000_000 } ?? paramsB
        self.contextLength = contextLength
        self.useCase = useCase
        self.releaseDate = releaseDate
        self.isMoE = isMoE
        self.activeParamsB = activeParamsB
        self.numExperts = numExperts
        self.activeExperts = activeExperts
        self.layers = layers
        self.kvHeads = kvHeads
        self.attentionHeads = attentionHeads
        self.headDim = headDim
        self.hiddenSize = hiddenSize
        self.moeIntermediateSize = moeIntermediateSize
        self.vocabSize = vocabSize
        self.sharedExpertIntermediateSize = sharedExpertIntermediateSize
        self.format = format.lowercased()
        self.quantization = quantization
        self.minRAMGB = minRAMGB ?? 0
        self.recommendedRAMGB = recommendedRAMGB
        self.minVRAMGB = minVRAMGB
        self.architecture = architecture
        self.license = license
        self.declaredCapabilities = capabilities
        self.traits = Traits()
        self.traits = Traits(self)
    }

    /// Declared and inferred capabilities, in llmfit's order.
    public var capabilities: [Capability] { traits.capabilities }

    /// AWQ, GPTQ and AutoRound checkpoints are quantised once, for good (and run on vLLM).
    public var isPrequantized: Bool { traits.prequantized }

    /// Tensor-parallel degrees 1…8 that divide both its attention and KV heads.
    public var validTPSizes: [Int] {
        let (attention, kv) = headCounts
        return (1...8).filter { $0 == 1 || (attention % $0 == 0 && kv % $0 == 0) }
    }

    /// Attention and KV heads: the catalog's, else a guess by family and size.
    var headCounts: (Int, Int) {
        if let attention = attentionHeads {
            return (attention, kvHeads ?? attention)
        }
        let name = name.lowercased()
        let p = paramsB
        if name.contains("qwen") {
            return p > 100 ? (128, 16) : p > 50 ? (64, 8) : p > 10 ? (40, 8) : p > 5 ? (32, 8) : (16, 4)
        }
        if name.contains("llama") {
            if name.contains("scout") || name.contains("maverick") { return (64, 8) }
            return p > 60 ? (64, 8) : p > 20 ? (48, 8) : p > 5 ? (32, 8) : (16, 8)
        }
        if name.contains("deepseek") {
            return p > 200 ? (128, 16) : p > 50 ? (64, 8) : p > 10 ? (40, 8) : (32, 8)
        }
        if name.contains("mistral") || name.contains("mixtral") { return p > 100 ? (96, 8) : (32, 8) }
        if name.contains("gemma") { return p > 20 ? (32, 16) : p > 5 ? (16, 8) : (8, 4) }
        if name.contains("phi") { return p > 10 ? (40, 10) : (32, 8) }
        if name.contains("minimax") { return (48, 8) }
        return p > 100 ? (128, 16) : p > 50 ? (64, 8) : p > 5 ? (32, 8) : (16, 4)
    }

    struct Traits: Sendable, Equatable {
        var category: UseCase = .general
        /// The quality score before the quantisation's penalty, the recency bonus and the clamp.
        var baseQuality: Double = 0
        var prequantized = false
        /// Named like an MLX conversion (`-mlx-` or a `-mlx` ending): Apple only.
        var isMLXModel = false
        /// `-MLX` anywhere in the name: the node API lists it on Apple machines only.
        var isMLXOnly = false
        var capabilities: [Capability] = []
        /// Needs a runtime llmfit does not model (text to speech).
        var requiresSpecializedRuntime = false
        /// The release month as year · 12 + month, when the date parses.
        var releaseMonth: Int?
        /// KV cache per token of context, GiB (fp16), worked out once.
        var kvPerTokenGB: Double = 0
        /// MoE bandwidth split: active expert FFN parameters and fixed parameters, billions.
        var moeSplit: (activeFFN: Double, fixed: Double)?

        init() {}

        init(_ model: CatalogModel) {
            let lowerName = model.name.lowercased()
            category = UseCase.infer(useCase: model.useCase, name: model.name)
            prequantized = ["awq", "gptq", "autoround"].contains(model.format)
            isMLXModel = lowerName.contains("-mlx-") || lowerName.hasSuffix("-mlx")
            isMLXOnly = model.name.uppercased().contains("-MLX")
            capabilities = Capability.infer(model)
            requiresSpecializedRuntime = capabilities.contains(.tts)
            releaseMonth = model.releaseDate.flatMap(Self.month)
            kvPerTokenGB = FitAnalysis.kvCacheGB(model, context: 1)
            moeSplit = FitAnalysis.moeBandwidthSplit(model)
            baseQuality = FitAnalysis.baseQuality(model, category: category)
        }

        static func == (a: Traits, b: Traits) -> Bool {
            a.category == b.category && a.baseQuality == b.baseQuality && a.capabilities == b.capabilities
                && a.releaseMonth == b.releaseMonth && a.kvPerTokenGB == b.kvPerTokenGB
        }

        /// `YYYY-MM…`: year · 12 + month.
        static func month(_ date: String) -> Int? {
            let parts = date.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count >= 2, let year = Int(parts[0].trimmingCharacters(in: " ")),
                let month = Int(parts[1].trimmingCharacters(in: " "))
            else { return nil }
            return year * 12 + month
        }
    }
}

/// What a model can do besides text, as llmfit names it.
public enum Capability: String, Sendable, CaseIterable {
    case vision
    case toolUse = "tool_use"
    case audio
    case tts

    /// The declared capabilities, then those the name, use case and architecture imply.
    static func infer(_ model: CatalogModel) -> [Capability] {
        var caps = model.declaredCapabilities
        let name = model.name.lowercased()
        let useCase = model.useCase.lowercased()
        if !caps.contains(.vision),
            ["vision", "-vl-", "llava", "onevision", "pixtral"].contains(where: name.contains)
                || name.hasSuffix("-vl") || useCase.contains("vision") || useCase.contains("multimodal")
        {
            caps.append(.vision)
        }
        if !caps.contains(.toolUse),
            useCase.contains("tool") || useCase.contains("function call") || name.contains("qwen3")
                || name.contains("qwen2.5") || name.contains("command-r")
                || (name.contains("llama-3") && name.contains("instruct"))
                || (name.contains("mistral") && name.contains("instruct")) || name.contains("hermes")
                || (name.contains("gemma-3") && name.hasSuffix("-it"))
                || (name.contains("gemma-4") && name.hasSuffix("-it"))
        {
            caps.append(.toolUse)
        }
        let architecture = (model.architecture ?? "").lowercased()
        if !caps.contains(.audio),
            architecture.contains("whisper") || name.contains("whisper")
                || ["text-to-speech", "transcription", "speech", "audio"].contains(where: useCase.contains)
        {
            caps.append(.audio)
        }
        if !caps.contains(.tts) && useCase.contains("text-to-speech") { caps.append(.tts) }
        return caps
    }
}

/// A catalog entry: what the analysis reads of a model (the fields of llmfit's model list that its
/// fit algorithm uses; scripts/make-catalog.py keeps them).
public struct CatalogModel: Sendable, Equatable {
    /// The entry's facts, plain values.
    struct Fields: Sendable, Equatable {
        var name: String
        var provider: String
        var parameterCount: String
        var paramsB: Double
        var parametersRaw: Int64?
        var contextLength: Int
        var useCase: String
        var releaseDate: String?
        var isMoE: Bool
        var activeParamsB: Double?
        var numExperts: Int?
        var activeExperts: Int?
        var layers: Int?
        var kvHeads: Int?
        var attentionHeads: Int?
        var headDim: Int?
        var hiddenSize: Int?
        var moeIntermediateSize: Int?
        var vocabSize: Int?
        var sharedExpertIntermediateSize: Int?
        var format: String
        var quantization: String
        var minRAMGB: Double
        var recommendedRAMGB: Double
        var minVRAMGB: Double?
        var architecture: String?
        var license: String?
        var declaredCapabilities: [Capability]
        var ggufSources: [String]
    }

    /// Held by reference: the whole catalog is analysed per request and each analysis carries its
    /// model, so a copy is one retain instead of one per text field.
    final class Storage: Sendable {
        let fields: Fields
        let traits: Traits
        init(fields: Fields, traits: Traits) {
            self.fields = fields
            self.traits = traits
        }
    }

    let storage: Storage
    /// What the analysis derives from the text fields, worked out once per model: the whole
    /// catalog is analysed per request, and substring searches were most of that time.
    var traits: Traits { storage.traits }

    public var name: String { storage.fields.name }
    public var provider: String { storage.fields.provider }
    public var parameterCount: String { storage.fields.parameterCount }
    /// Total parameters, in billions (the exact count / 10⁹ when the catalog gives one).
    public var paramsB: Double { storage.fields.paramsB }
    /// The exact parameter count, when known.
    public var parametersRaw: Int64? { storage.fields.parametersRaw }
    public var contextLength: Int { storage.fields.contextLength }
    public var useCase: String { storage.fields.useCase }
    public var releaseDate: String? { storage.fields.releaseDate }
    public var isMoE: Bool { storage.fields.isMoE }
    /// Active parameters per token, in billions (MoE models).
    public var activeParamsB: Double? { storage.fields.activeParamsB }
    public var numExperts: Int? { storage.fields.numExperts }
    public var activeExperts: Int? { storage.fields.activeExperts }
    public var layers: Int? { storage.fields.layers }
    public var kvHeads: Int? { storage.fields.kvHeads }
    public var attentionHeads: Int? { storage.fields.attentionHeads }
    public var headDim: Int? { storage.fields.headDim }
    public var hiddenSize: Int? { storage.fields.hiddenSize }
    public var moeIntermediateSize: Int? { storage.fields.moeIntermediateSize }
    public var vocabSize: Int? { storage.fields.vocabSize }
    public var sharedExpertIntermediateSize: Int? { storage.fields.sharedExpertIntermediateSize }
    /// gguf, awq, gptq, autoround, mlx, …
    public var format: String { storage.fields.format }
    /// The catalog's own quantisation.
    public var quantization: String { storage.fields.quantization }
    public var minRAMGB: Double { storage.fields.minRAMGB }
    public var recommendedRAMGB: Double { storage.fields.recommendedRAMGB }
    /// VRAM the catalog says the model needs; nil when it does not say (then `minRAMGB`).
    public var minVRAMGB: Double? { storage.fields.minVRAMGB }
    /// The Hugging Face architecture string (`llama`, `qwen3_moe`, …).
    public var architecture: String? { storage.fields.architecture }
    public var license: String? { storage.fields.license }
    /// Capabilities as the catalog gives them; `capabilities` adds the inferred ones.
    public var declaredCapabilities: [Capability] { storage.fields.declaredCapabilities }
    /// Repositories with GGUF builds of it.
    public var ggufSources: [String] { storage.fields.ggufSources }

    public init(
        name: String, provider: String = "", parameterCount: String = "", paramsB: Double,
        parametersRaw: Int64? = nil, contextLength: Int, useCase: String = "General purpose",
        releaseDate: String? = nil, isMoE: Bool = false, activeParamsB: Double? = nil, numExperts: Int? = nil,
        activeExperts: Int? = nil, layers: Int? = nil, kvHeads: Int? = nil, attentionHeads: Int? = nil,
        headDim: Int? = nil, hiddenSize: Int? = nil, moeIntermediateSize: Int? = nil, vocabSize: Int? = nil,
        sharedExpertIntermediateSize: Int? = nil, format: String = "gguf", quantization: String = "Q4_K_M",
        minRAMGB: Double? = nil, recommendedRAMGB: Double = 0, minVRAMGB: Double? = nil, architecture: String? = nil,
        license: String? = nil, capabilities: [Capability] = [], ggufSources: [String] = []
    ) {
        let fields = Fields(
            name: name, provider: provider, parameterCount: parameterCount,
            paramsB: parametersRaw.map { Double($0) / 1_000_000_000 } ?? paramsB, parametersRaw: parametersRaw,
            contextLength: contextLength, useCase: useCase, releaseDate: releaseDate, isMoE: isMoE,
            activeParamsB: activeParamsB, numExperts: numExperts, activeExperts: activeExperts, layers: layers,
            kvHeads: kvHeads, attentionHeads: attentionHeads, headDim: headDim, hiddenSize: hiddenSize,
            moeIntermediateSize: moeIntermediateSize, vocabSize: vocabSize,
            sharedExpertIntermediateSize: sharedExpertIntermediateSize, format: format.lowercased(),
            quantization: quantization, minRAMGB: minRAMGB ?? 0, recommendedRAMGB: recommendedRAMGB,
            minVRAMGB: minVRAMGB, architecture: architecture, license: license, declaredCapabilities: capabilities,
            ggufSources: ggufSources)
        let bare = CatalogModel(storage: Storage(fields: fields, traits: Traits()))
        storage = Storage(fields: fields, traits: Traits(bare))
    }

    init(storage: Storage) { self.storage = storage }

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

    public static func == (a: CatalogModel, b: CatalogModel) -> Bool {
        a.storage === b.storage || a.storage.fields == b.storage.fields
    }

    struct Traits: Sendable, Equatable {
        var category: UseCase = .general
        /// The quality score before the quantisation's penalty, the recency bonus and the clamp.
        var baseQuality: Double = 0
        var prequantized = false
        var isONNX = false
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
            isONNX = model.format == "onnx"
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

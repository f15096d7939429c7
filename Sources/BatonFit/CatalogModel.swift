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

public enum UseCase: String, Sendable, CaseIterable {
    case general, coding, reasoning, chat, multimodal, embedding

    /// Inferred from the catalog's use-case text and the name, in this order of precedence:
    /// embedding (use case, or `embed`/`bge` in the name), coding (`code` in either), multimodal
    /// (use case), reasoning (use case, or a DeepSeek-R1 name), chat (use case), else general.
    public static func infer(useCase: String, name: String) -> UseCase {
        let text = useCase.lowercased()
        let lowerName = name.lowercased()
        if text.contains("embedding") || lowerName.contains("embed") || lowerName.contains("bge") { return .embedding }
        if lowerName.contains("code") || text.contains("code") { return .coding }
        if text.contains("vision") || text.contains("multimodal") { return .multimodal }
        if text.contains("reason") || text.contains("chain-of-thought") || lowerName.contains("deepseek-r1") {
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

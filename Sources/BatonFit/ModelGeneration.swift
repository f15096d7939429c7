/// A model family's generation (Qwen 2.5, Llama 3.1, Gemma 3, …), read from the architecture
/// string first and the name second; newer generations score higher for the same size.
enum ModelGeneration {
    /// Qwen's minor versions as the name spells them (dotted or with an underscore).
    static let qwenMinor: [(dotted: String, underscored: String, generation: Double)] = [
        ("qwen3.8", "qwen3_8", 3.8), ("qwen3.6", "qwen3_6", 3.6), ("qwen3.5", "qwen3_5", 3.5),
        ("qwen2.5", "qwen2_5", 2.5),
    ]

    static func qwenMinorVersion(_ lowerName: String) -> Double? {
        qwenMinor.first { lowerName.contains($0.dotted) || lowerName.contains($0.underscored) }?.generation
    }

    /// The generation, or nil when neither the architecture nor the name tells.
    static func parse(architecture: String?, name: String) -> Double? {
        let lowerName = name.lowercased()
        if let architecture {
            let arch = architecture.lowercased()
            func after(_ prefix: String) -> Substring? { arch.hasPrefix(prefix) ? arch.dropFirst(prefix.count) : nil }
            if arch.hasPrefix("deepseek") {
                return arch.contains("v4") ? 4 : arch.contains("v3") ? 3 : arch.contains("v2") ? 2 : 1
            }
            if let rest = after("qwen") {
                if let minor = qwenMinorVersion(lowerName) { return minor }
                if rest.hasPrefix("3_5") || rest.hasPrefix("3.5") { return 3.5 }
                if rest.hasPrefix("3_next") || rest.hasPrefix("3next") { return 3.8 }
                if rest.hasPrefix("3") { return 3 }
                if rest.hasPrefix("2") { return 2 }
                return 1
            }
            if let rest = after("llama"), rest.hasPrefix("4") { return 4 }
            if let rest = after("gemma") {
                return rest.hasPrefix("4") ? 4 : rest.hasPrefix("3") ? 3 : rest.hasPrefix("2") ? 2 : 1
            }
            if let rest = after("phi") {
                return rest.hasPrefix("4")
                    ? 4 : rest.hasPrefix("3") || rest.hasPrefix("moe") ? 3 : rest.hasPrefix("2") ? 2 : 1
            }
            if arch.hasPrefix("mistral") || arch.hasPrefix("mixtral") { return 1 }
            if let rest = after("cohere") { return rest.hasPrefix("2") ? 2 : 1 }
            if let rest = after("falcon") { return rest.hasPrefix("3") ? 3 : 1 }
            if let rest = after("granite") { return rest.hasPrefix("4") ? 4 : 1 }
        }
        if let minor = qwenMinorVersion(lowerName) { return minor }
        let byName: [([String], Double)] = [
            (["qwen3"], 3), (["qwen2"], 2),
            (["llama-4", "llama4"], 4), (["llama-3.3", "llama3.3"], 3.3), (["llama-3.2", "llama3.2"], 3.2),
            (["llama-3.1", "llama3.1"], 3.1), (["llama-3", "llama3"], 3), (["llama-2", "llama2"], 2),
            (["gemma-4", "gemma4"], 4), (["gemma-3", "gemma3"], 3), (["gemma-2", "gemma2"], 2),
            (["deepseek-v4", "deepseekv4"], 4), (["deepseek-v3", "deepseekv3"], 3), (["deepseek-v2", "deepseekv2"], 2),
            (["phi-4", "phi4"], 4), (["phi-3", "phi3"], 3),
        ]
        return byName.first { $0.0.contains(where: lowerName.contains) }?.1
    }

    /// Three points per generation above the first, at most nine.
    static func qualityBonus(architecture: String?, name: String) -> Double {
        guard let generation = parse(architecture: architecture, name: name) else { return 0 }
        return min(9, max(0, (generation - 1) * 3))
    }
}

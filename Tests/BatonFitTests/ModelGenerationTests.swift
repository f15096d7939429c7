import Testing

@testable import BatonFit

@Suite struct ModelGenerationTests {
    /// The architecture first, a Qwen minor version in the name before it, the name last.
    @Test(
        arguments: [
            ("qwen3_moe", "Qwen/Qwen3-30B-A3B", 3.0), ("qwen3_5_moe", "Qwen/Qwen3.6-35B-A3B", 3.6),
            ("qwen3_next", "Qwen/Qwen3-Next-80B", 3.8), ("qwen2", "Qwen/Qwen2.5-7B", 2.5),
            ("qwen2", "Qwen/Qwen2-7B", 2.0),
            ("deepseek_v3", "deepseek-ai/DeepSeek-V3", 3.0), ("llama4", "meta-llama/Llama-4-Scout", 4.0),
            ("llama", "meta-llama/Llama-3.1-8B", 3.1), ("llama", "meta-llama/Llama-3.3-70B", 3.3),
            ("gemma3", "google/gemma-3-12b-it", 3.0), ("phimoe", "microsoft/Phi-3.5-MoE", 3.0),
            ("mixtral", "mistralai/Mixtral-8x7B", 1.0), ("granitemoe", "ibm/granite-3.0-moe", 1.0),
            ("bert", "BAAI/bge-large", nil as Double?),
        ] as [(String, String, Double?)])
    func generations(architecture: String, name: String, generation: Double?) {
        #expect(ModelGeneration.parse(architecture: architecture, name: name) == generation)
    }

    @Test func bonusIsThreePerGenerationCappedAtNine() {
        #expect(abs(ModelGeneration.qualityBonus(architecture: nil, name: "meta-llama/Llama-3.1-8B") - 6.3) < 1e-9)
        #expect(ModelGeneration.qualityBonus(architecture: "llama4", name: "x") == 9)
        #expect(ModelGeneration.qualityBonus(architecture: "mistral", name: "x") == 0)
        #expect(ModelGeneration.qualityBonus(architecture: nil, name: "acme/x") == 0)
    }
}

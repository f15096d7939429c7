import BatonJSON
import Testing

@testable import BatonFit

/// The answers llmfit 3f44fd3 gives, model for model, on three machines: values worked out by
/// hand from its formulas (the arithmetic is in the comments), compared as the API rounds them
/// (GiB to 0.01, tok/s and scores to 0.1). Catalog entries as scripts/make-catalog.py keeps them.
@Suite struct FitAnalysisParityTests {
    /// December 2026: every model below was released more than 9 months before (no recency bonus).
    static let month = 2026 * 12 + 12

    /// A 24 GB RTX 4090 with 32 GB of RAM.
    static let rtx4090 = SystemSpecs(
        totalRAMGB: 32, availableRAMGB: 32, cpuCores: 16, cpuName: "x",
        gpus: [GPU(name: "NVIDIA GeForce RTX 4090", vramGB: 24, backend: .cuda)])
    /// No GPU, 16 GB of RAM, 8 cores.
    static let cpuOnly = SystemSpecs(totalRAMGB: 16, availableRAMGB: 16, cpuCores: 8, cpuName: "x")
    /// Two 80 GB H100s (2,039 GB/s by the table: "h100" without "h100 sxm"), 512 GB of RAM.
    static let twoH100 = SystemSpecs(
        totalRAMGB: 512, availableRAMGB: 480, cpuCores: 64, cpuName: "x",
        gpus: [GPU(name: "NVIDIA H100 80GB HBM3", vramGB: 80, backend: .cuda, count: 2)])

    struct Row: Sendable, CustomStringConvertible {
        var name: String
        var fit: String
        var mode: String
        var runtime: String
        var quant: String
        var memory: Double
        var tps: Double
        var score: Double
        var description: String { name }
    }

    /// The rows the node API gives on `system`, by model name (a model not listed is absent).
    static func rows(_ system: SystemSpecs) -> [String: JSONValue] {
        var rows: [String: JSONValue] = [:]
        for fit in ModelQuery().analyse(on: system, month: month) { rows[fit.model.name] = fit.json }
        return rows
    }

    static func check(_ expected: Row, in rows: [String: JSONValue]) {
        guard let row = rows[expected.name] else {
            Issue.record("\(expected.name) is not listed")
            return
        }
        #expect(row["fit_level"]?.stringValue == expected.fit, "\(expected.name)")
        #expect(row["run_mode"]?.stringValue == expected.mode, "\(expected.name)")
        #expect(row["runtime"]?.stringValue == expected.runtime, "\(expected.name)")
        #expect(row["best_quant"]?.stringValue == expected.quant, "\(expected.name)")
        #expect(row["memory_required_gb"]?.doubleValue == expected.memory, "\(expected.name)")
        #expect(row["estimated_tps"]?.doubleValue == expected.tps, "\(expected.name)")
        #expect(row["score"]?.doubleValue == expected.score, "\(expected.name)")
    }

    @Test(arguments: [
        // 8.030 B dense, layers 32 · 8 KV heads · 128: KV at 8192 = 1 GiB. Q8_0 8.4318 + 1 + 0.5.
        // Perfect (recommended 7.5 <= 24). 1008 / 8.0303 · 0.55 = 69.04. Quality 75 + 2 (llama)
        // + 6.3 (generation 3.1) = 83.3; chat .40·83.3 + .35·100 + .15·100 + .10·100 = 93.32.
        Row(
            name: "meta-llama/Llama-3.1-8B-Instruct", fit: "perfect", mode: "gpu", runtime: "llamacpp", quant: "Q8_0",
            memory: 9.93, tps: 69.0, score: 93.3),
        // MoE, min_vram 15.6 <= 24: GPU at 15.6, good (recommended 28.4 > 24; 24 >= 18.72). Best
        // quant Q5_K_M (Q6_K 24.43 + 0.75 + 0.5 > 24). Speed from the split: active FFN 48·8·3·
        // 2048·768 = 1.8119 B at 0.68, fixed 1.5409 B (attention 0.906, router 0.0126, head and
        // embedding 0.6223) at 3.2: 1008 / 6.1629 = 163.56; pressure: 20.762 / 24 = 0.8651 →
        // 1 − 0.2651 · (1 − 8/128) = 0.7515 → 122.9. Quality 60 (3.34 B active) + 2 + 6
        // (qwen3_moe) + 7.2 (qwen3-coder coding 90) − 2 = 73.2; coding .5·73.2 + 20 + 15 + 15.
        Row(
            name: "Qwen/Qwen3-Coder-30B-A3B-Instruct", fit: "good", mode: "gpu", runtime: "llamacpp",
            quant: "Q5_K_M", memory: 15.6, tps: 122.9, score: 86.6),
        // Pre-quantised: vLLM, own footprint 60.106 · 0.5 + 2.5 (80 layers) + 0.5 = 33.05 > 24 and
        // > 32 RAM: too tight against VRAM. 1008 / 30.053 · 0.55 = 18.45. Quality 95 + 2 + 6.3 − 3,
        // clamped to 100; chat .40·100 + .35·46.12 + 0 + 10 = 66.14.
        Row(
            name: "hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4", fit: "too_tight", mode: "gpu",
            runtime: "vllm", quant: "AWQ-4bit", memory: 33.05, tps: 18.4, score: 66.1),
        // 70.554 B dense: Q2_K 26.105 + 2.5 + 0.5 = 29.10 > 24 (28.35 at half context), fits 32 RAM:
        // CPU offload, marginal (32 < 34.93). 1008 / (70.554 · 0.25) · 0.55 · 0.5 = 15.72. Quality
        // 95 + 2 + 6.9 (3.3) + 4 (llama-3.3 chat 82) − 12 = 95.9; fit r 0.9095 → 57.77;
        // .40·95.9 + .35·39.29 + .15·57.77 + 10 = 70.78.
        Row(
            name: "meta-llama/Llama-3.3-70B-Instruct", fit: "marginal", mode: "cpu_offload", runtime: "llamacpp",
            quant: "Q2_K", memory: 29.1, tps: 15.7, score: 70.8),
        // MoE, min_vram 120.4 > 24, no ladder level whole in 24; offload: Q8_0 experts 23.66 GiB
        // in VRAM but the rest never fits 32 (Q2_K: 73.4); min_ram 131.4 > 32: too tight at 120.4
        // against VRAM, catalog Q4_K_M. GPU speed, no pressure (136 GiB > one card): split 14.194 B
        // · 0.58 + 7.996 B · 3.2 = 33.82 → 1008 / 33.82 = 29.80. Quality 89 + 2 + 6 − 5 = 92;
        // general .45·92 + .30·74.51 + 0 + 10 = 73.75.
        Row(
            name: "Qwen/Qwen3-235B-A22B", fit: "too_tight", mode: "gpu", runtime: "llamacpp", quant: "Q4_K_M",
            memory: 120.4, tps: 29.8, score: 73.8),
        // ONNX (llmfit's ONNX list): its own ladder Q8_0, Q4_0. 3.8 B, no layers: KV 0.000008 · 3.8 ·
        // 4096 = 0.1245; Q8_0 3.99 + 0.1245 + 0.5 = 4.61, perfect (recommended 4.45). 1008 / 3.8 ·
        // 0.55 = 145.9. Quality 60 + 0 (phi) + 6 (phi-3) = 66; chat .40·66 + 35 + 15 + 10 = 86.4.
        Row(
            name: "onnx-community/Phi-3-mini-4k-instruct", fit: "perfect", mode: "gpu", runtime: "llamacpp",
            quant: "Q8_0", memory: 4.61, tps: 145.9, score: 86.4),
    ])
    func anRTX4090With32GBOfRAM(expected: Row) {
        Self.check(expected, in: Self.rows(Self.rtx4090))
    }

    @Test(arguments: [
        // Q8_0 9.93 <= 16: CPU only, good (16 >= 11.92). 70 / 8.0303 · 0.8 · 1.1 · 0.3 = 2.30.
        // .40·83.3 + .35·5.75 + 15 + 10 = 60.33.
        Row(
            name: "meta-llama/Llama-3.1-8B-Instruct", fit: "good", mode: "cpu_only", runtime: "llamacpp",
            quant: "Q8_0", memory: 9.93, tps: 2.3, score: 60.3),
        // MoE without a GPU: min_ram 17.1 > 16, too tight. Best quant within 16: Q3_K_M
        // 14.655 + 0.75 + 0.5 = 15.91. 70 / 3.3395 · 1.25 · 1.1 · 0.3 = 8.65. Quality 60 + 2 + 6 +
        // 7.2 − 8 = 67.2; .5·67.2 + .2·21.62 + 0 + 15 = 52.92.
        Row(
            name: "Qwen/Qwen3-Coder-30B-A3B-Instruct", fit: "too_tight", mode: "cpu_only", runtime: "llamacpp",
            quant: "Q3_K_M", memory: 17.1, tps: 8.6, score: 52.9),
        // Embedding, context 512: KV 24 · 16 · 64 → 0.046875 GiB; Q8_0 0.3519 + 0.0469 + 0.5 = 0.90.
        // 70 / 0.33514 · 0.8 · 1.1 · 0.3 = 55.14. Quality 30; .3·30 + .4·27.57 + .2·100 + .1·100.
        Row(
            name: "BAAI/bge-large-en-v1.5", fit: "good", mode: "cpu_only", runtime: "llamacpp", quant: "Q8_0",
            memory: 0.9, tps: 55.1, score: 50.0),
    ])
    func aCPUOnlyMachineWith16GB(expected: Row) {
        Self.check(expected, in: Self.rows(Self.cpuOnly))
    }

    @Test(arguments: [
        // min_vram 15.6 <= 160: GPU, perfect (28.4 <= 160), Q8_0 (33.31 fits). Split at 1.05:
        // 1.9025 + 4.9308 = 6.8334 → 2039 / 6.8334 = 298.4; utilisation of one 80 GB card 0.40 <
        // 0.6, no pressure. Quality 60 + 2 + 6 + 7.2 = 75.2; .5·75.2 + 20 + 15 + 15 = 87.6.
        Row(
            name: "Qwen/Qwen3-Coder-30B-A3B-Instruct", fit: "perfect", mode: "gpu", runtime: "llamacpp",
            quant: "Q8_0", memory: 15.6, tps: 298.4, score: 87.6),
        // min_vram 120.4 <= 160: GPU, good (218.9 > 160; 160 >= 144.5). Q5_K_M 159.86 + 1.47 + 0.5
        // = 161.83 > 160, Q4_K_M 138.32. 2039 / 33.82 = 60.29, no pressure (136.4 GiB > 80).
        // .45·92 + 30 + .15·96.61 (r 0.7525) + 10 = 95.89.
        Row(
            name: "Qwen/Qwen3-235B-A22B", fit: "good", mode: "gpu", runtime: "llamacpp", quant: "Q4_K_M",
            memory: 120.4, tps: 60.3, score: 95.9),
        // Q8_0 74.08 + 2.5 + 0.5 = 77.08 in 160: perfect. 2039 / 70.554 · 0.55 = 15.89. Quality
        // 107.9 clamped to 100; .40·100 + .35·39.74 + 15 + 10 = 78.91.
        Row(
            name: "meta-llama/Llama-3.3-70B-Instruct", fit: "perfect", mode: "gpu", runtime: "llamacpp",
            quant: "Q8_0", memory: 77.08, tps: 15.9, score: 78.9),
        // H100 (compute 9.0) runs AWQ (7.5): vLLM, 33.05 in 160, perfect (56 <= 160).
        // 2039 / 30.053 · 0.55 = 37.32; .40·100 + .35·93.29 + 15 + 10 = 97.65.
        Row(
            name: "hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4", fit: "perfect", mode: "gpu",
            runtime: "vllm", quant: "AWQ-4bit", memory: 33.05, tps: 37.3, score: 97.7),
        // Mixtral: min_vram 23.9, perfect (43.5 <= 160), Q8_0 (50.54). Split: FFN 32·2·3·4096·14336
        // = 11.274 B · 1.05, fixed 1.6054 B · 3.2: 2039 / 16.975 = 120.12; pressure 49.04 / 80 =
        // 0.613 → 1 − 0.013 · 0.75 = 0.9903 → 118.9. Quality 82 (12.9 B active) + 1 + 0
        // (generation 1) + 0.8 ("mixtral" before "mistral", chat 74) = 83.8; .40·83.8 + 35 + 15 + 10.
        Row(
            name: "mistralai/Mixtral-8x7B-Instruct-v0.1", fit: "perfect", mode: "gpu", runtime: "llamacpp",
            quant: "Q8_0", memory: 23.9, tps: 118.9, score: 93.5),
    ])
    func twoH100s(expected: Row) {
        Self.check(expected, in: Self.rows(Self.twoH100))
    }

    /// What llmfit does not list: pre-quantised models off CUDA/ROCm, MLX conversions and -MLX
    /// names off Apple.
    @Test func backendIncompatibleModelsAreNotListed() {
        let cpu = Self.rows(Self.cpuOnly)
        let gpu = Self.rows(Self.rtx4090)
        for name in ["hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4", "Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4"] {
            #expect(cpu[name] == nil && gpu[name] != nil, "\(name)")
        }
        #expect(gpu["Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4"]?["runtime"] == "vllm")
        for rows in [cpu, gpu, Self.rows(Self.twoH100)] {
            #expect(rows["Qwen/Qwen3-4B-MLX-4bit"] == nil)
            #expect(!rows.keys.contains { $0.uppercased().contains("-MLX") })
            #expect(!rows.isEmpty)
        }
        #expect(!cpu.values.contains { $0["runtime"] == "vllm" })
        // A Volta card cannot run AWQ's kernels (7.0 < 7.5); a GGUF model still runs.
        let v100 = SystemSpecs(
            totalRAMGB: 64, availableRAMGB: 64, cpuCores: 8, cpuName: "x",
            gpus: [GPU(name: "Tesla V100-SXM2-32GB", vramGB: 32, backend: .cuda)])
        let awq = Catalog.models.first { $0.name == "hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4" }!
        let gguf = Catalog.models.first { $0.name == "meta-llama/Llama-3.1-8B-Instruct" }!
        #expect(!FitAnalysis.backendCompatible(awq, on: v100) && FitAnalysis.backendCompatible(gguf, on: v100))
    }

    /// The fields llmfit adds to a row, on the MoE of the 4090 machine.
    @Test func rowsCarryLlmfitsExtraFields() throws {
        let row = try #require(Self.rows(Self.rtx4090)["Qwen/Qwen3-Coder-30B-A3B-Instruct"])
        // Q5_K_M weights 30.532 · 0.68 = 20.762 + 0.5 leave 2.738 of 24 GiB; KV per token
        // 48 · 2 · 4 · 128 · 2 bytes = 96 KiB: 2.738 / (0.75 / 8192) = 29,907 tokens.
        #expect(row["usable_context"] == 29907 && row["effective_context_length"] == 8192)
        #expect(row["moe_offloaded_gb"] == .null && row["total_memory_gb"] == 15.6)
        #expect(row["capabilities"] == ["tool_use"] && row["license"] == .null && row["installed"] == false)
        #expect(row["supports_tp"] == [1, 2, 4])  // 32 attention and 4 KV heads
        #expect(row["disk_size_gb"] == 20.76)  // 30.532 · 0.68
        #expect(row["estimate_basis"]?["method"] == "gpu_bandwidth_roofline")
        #expect(row["estimate_basis"]?["gpu_bandwidth_gbps"] == 1008.0)
        #expect(row["estimate_basis"]?["ddr_bandwidth_gbps"] == .null)
        #expect(row["estimate_basis"]?["assumed_context"] == 8192 && row["estimate_basis"]?["efficiency"] == 0.55)
    }
}

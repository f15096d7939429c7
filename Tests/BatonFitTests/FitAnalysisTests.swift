import Testing

@testable import BatonFit

/// SPEC §11's formulas against values worked out by hand (the arithmetic is in the comments).
@Suite struct FitAnalysisTests {
    static let rtx4090 = GPU(name: "NVIDIA GeForce RTX 4090", vramGB: 24, backend: .cuda)

    /// December 2026: no catalog date here is recent enough for the recency bonus.
    static let month = 2026 * 12 + 12

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-6) -> Bool { abs(a - b) <= tolerance }

    /// 7 B chat model on a 24 GiB RTX 4090.
    @Test func aDenseSevenBillionModelOnA24GiBGPU() {
        let model = CatalogModel(
            name: "meta-llama/Llama-2-7b-chat-hf", paramsB: 7, contextLength: 32768,
            useCase: "Instruction following, chat", recommendedRAMGB: 8)
        let system = SystemSpecs(totalRAMGB: 64, availableRAMGB: 48, cpuCores: 16, cpuName: "x", gpus: [Self.rtx4090])
        let fit = FitAnalysis.analyse(model, on: system, month: Self.month)
        // ctx min(32768, 8192) = 8192; kv 0.000008·7·8192 = 0.458752; Q8_0: 7·1.05 + 0.458752 + 0.5.
        #expect(fit.bestQuant == "Q8_0" && fit.runMode == .gpu && fit.contextUsed == 8192)
        #expect(Self.close(fit.requiredGB, 8.308752))
        #expect(fit.fitLevel == .perfect)  // recommended 8 GiB <= 24
        #expect(Self.close(fit.utilizationPct, 8.308752 / 24 * 100))
        // 1008 GB/s / (7 · 1.0) · 0.55.
        #expect(Self.close(fit.estimatedTPS, 79.2))
        // quality 75 (<10 B) + 2 (llama) + 3 (generation 2, from "llama-2"); speed 100 (capped);
        // fit 100 (r < 0.7); context 100.
        #expect(fit.category == .chat && fit.quality == 80 && fit.speed == 100 && fit.fit == 100)
        #expect(fit.score == 92.0)  // .40·80 + .35·100 + .15·100 + .10·100
        #expect(fit.runtime == .llamacpp)
    }

    /// 70 B does not fit 24 GiB at any quantisation, so it runs with CPU offload from 60 GiB.
    @Test func aSeventyBillionModelFitsOnlyWithCPUOffload() {
        let model = CatalogModel(name: "meta-llama/Llama-3.1-70B", paramsB: 70, contextLength: 131072)
        let system = SystemSpecs(totalRAMGB: 64, availableRAMGB: 60, cpuCores: 16, cpuName: "x", gpus: [Self.rtx4090])
        let fit = FitAnalysis.analyse(model, on: system, month: Self.month)
        // GPU: Q2_K still 30.99 (28.69 at half context) > 24. RAM: Q8 78.59, Q6 61.09 > 60; Q5_K_M 52.69.
        #expect(fit.runMode == .cpuOffload && fit.bestQuant == "Q5_K_M" && fit.contextUsed == 8192)
        #expect(Self.close(fit.requiredGB, 52.68752))
        #expect(fit.fitLevel == .marginal)  // 60 < 1.2 · 52.69
        // 1008 / (70 · 0.625) · 0.55 · 0.5.
        #expect(Self.close(fit.estimatedTPS, 6.336))
        // quality 95 + 2 (llama) + 6.3 (generation 3.1) − 2 (Q5) = 101.3, clamped to 100; speed
        // 6.336/40; fit r = 0.8781 → 67.26; general: .45·100 + .30·15.84 + .15·67.26 + .10·100.
        #expect(fit.quality == 100 && Self.close(fit.speed, 15.84))
        #expect(Self.close(fit.fit, 67.2597679525312, 1e-9))
        #expect(fit.score == 69.8)
    }

    /// A 235 B MoE with 22 B active on 24 GiB: the whole model fits no quantisation, so the
    /// active experts go to VRAM (× 1.1) and the rest to RAM at the first level where both fit.
    @Test func aMixtureOfExpertsModelOffloadsItsExperts() {
        let model = CatalogModel(
            name: "Qwen/Qwen3-235B-A22B", paramsB: 235, parametersRaw: 235_000_000_000, contextLength: 32768,
            isMoE: true, activeParamsB: 22, numExperts: 128, activeExperts: 8, minRAMGB: 131.4, minVRAMGB: 120.4)
        let gpu = GPU(name: "NVIDIA A40", vramGB: 24, backend: .cuda)
        let system = SystemSpecs(totalRAMGB: 256, availableRAMGB: 200, cpuCores: 32, cpuName: "x", gpus: [gpu])
        let fit = FitAnalysis.analyse(model, on: system, month: Self.month)
        // min VRAM 120.4 > 24; Q2_K whole 235·0.37 = 86.95 > 24. Q8_0 split: 22e9·1.05/2³⁰·1.1 =
        // 23.66 in VRAM but 213e9·1.05/2³⁰ = 208.29 > 200 in RAM; Q6_K: 18.0304 and 158.70 fit.
        #expect(fit.runMode == .moeOffload && fit.contextUsed == 8192)
        #expect(Self.close(fit.requiredGB, 18.030405044555664, 1e-9) && fit.availableGB == 24)
        #expect(fit.fitLevel == .good)  // 24 >= 1.2 · 18.03
        // Offloaded at the catalog's own Q4_K_M: 213e9 · 0.58 / 2³⁰.
        #expect(Self.close(fit.moeOffloadedGB ?? 0, 115.0555908679962, 1e-9))
        // Nothing whole fits 24 GiB, so the catalog's quantisation stays.
        #expect(fit.bestQuant == "Q4_K_M")
        // No bandwidth known for an A40: CUDA's 220 read as 220 · 0.5 / 0.55 = 200 GB/s; 22 · 0.5
        // = 11 GB per token from RAM at 50 GB/s and on the GPU at 200 · 0.55: 1 / (0.22 + 0.1)
        // = 3.125, · 1.1 (>= 8 cores).
        #expect(Self.close(fit.estimatedTPS, 3.4375))
        // quality 89 (22 B active) + 2 (qwen) + 6 (generation 3, from "qwen3") − 5 (Q4_K_M) = 92;
        // general: .45·92 + .30·8.59375 + .15·96.768 + .10·100 = 68.49.
        #expect(fit.quality == 92 && fit.score == 68.5)
        #expect(fit.basis.method == "backend_constant" && fit.basis.ramBandwidthGBps == 50)
    }

    /// No GPU: judged on available RAM, CPU speed constant, CPU-only factor.
    @Test func aMachineWithoutAGPU() {
        let model = CatalogModel(
            name: "Qwen/Qwen2.5-Coder-3B-Instruct", paramsB: 3, contextLength: 16384,
            useCase: "Code generation and completion")
        let system = SystemSpecs(totalRAMGB: 32, availableRAMGB: 16, cpuCores: 8, cpuName: "x")
        let fit = FitAnalysis.analyse(model, on: system, month: Self.month)
        #expect(fit.runMode == .cpuOnly && fit.bestQuant == "Q8_0")
        #expect(Self.close(fit.requiredGB, 3.846608))  // 3·1.05 + 0.000008·3·8192 + 0.5
        #expect(fit.fitLevel == .good)  // never perfect off the GPU
        #expect(Self.close(fit.estimatedTPS, 6.16))  // 70 / 3 · 0.8 · 1.1 · 0.3
        // coding: quality 60 + 2 (qwen) + 4.5 (generation 2.5) + 7.2 (the table's qwen2.5-coder
        // coding 90: (90 − 72) · 0.4) = 73.7; speed 15.4; fit 100; context 100.
        #expect(fit.category == .coding && Self.close(fit.quality, 73.7))
        #expect(fit.score == 69.9)  // .5·73.7 + .2·15.4 + .15·100 + .15·100 = 69.93
    }

    /// Unified memory: the pool is the GPU's (all of RAM on Apple), the mode GPU, the runtime MLX
    /// with its own quantisations; the KV cache from the architecture.
    @Test func aUnifiedMemoryMachine() {
        let model = CatalogModel(
            name: "mlx-community/Qwen2.5-14B-Instruct-4bit", paramsB: 14, contextLength: 32768, layers: 48, kvHeads: 8,
            headDim: 128, format: "mlx", recommendedRAMGB: 40)
        let apple = GPU(name: "Apple M1 Max", vramGB: 32, backend: .metal, unifiedMemory: true)
        let system = SystemSpecs(
            totalRAMGB: 32, availableRAMGB: 20, cpuCores: 10, cpuName: "Apple M1 Max", gpus: [apple],
            cpuBackend: .cpuARM)
        let fit = FitAnalysis.analyse(model, on: system, month: Self.month)
        // kv 2·48·8·128·8192·2 bytes = 1.5 GiB; mlx-8bit 14·1.0 + 1.5 + 0.5 = 16 <= 32.
        #expect(fit.runMode == .gpu && fit.bestQuant == "mlx-8bit" && fit.runtime == .mlx)
        #expect(Self.close(fit.requiredGB, 16))
        #expect(fit.fitLevel == .good)  // recommended 40 > 32, but 32 >= 1.2 · 16
        #expect(Self.close(fit.estimatedTPS, 400 / 14.0 * 0.55))  // M1 Max 400 GB/s, 1 byte per parameter
        // 82 (14 B) + 2 (qwen) + 4.5 (generation 2.5) + 0 (mlx-8bit); general purpose.
        #expect(fit.quality == 88.5)
    }

    @Test func tooTightWhenNothingFits() {
        let model = CatalogModel(name: "big", paramsB: 400, contextLength: 8192, quantization: "Q4_K_M")
        let system = SystemSpecs(totalRAMGB: 16, availableRAMGB: 8, cpuCores: 4, cpuName: "x")
        let fit = FitAnalysis.analyse(model, on: system, month: Self.month)
        #expect(fit.fitLevel == .tooTight && fit.fit == 0 && fit.bestQuant == "Q4_K_M")
    }

    @Test func fixedQuantisationsAreKept() {
        let model = CatalogModel(
            name: "TheBloke/Mistral-7B-AWQ", paramsB: 7, contextLength: 8192, format: "awq", quantization: "AWQ-4bit")
        let system = SystemSpecs(totalRAMGB: 64, availableRAMGB: 48, cpuCores: 16, cpuName: "x", gpus: [Self.rtx4090])
        let fit = FitAnalysis.analyse(model, on: system, month: Self.month)
        #expect(fit.bestQuant == "AWQ-4bit")
        #expect(Self.close(fit.requiredGB, 7 * 0.5 + 0.000008 * 7 * 8192 + 0.5))
    }

    @Test func useCasesAreInferredInOrder() {
        #expect(UseCase.infer(useCase: "Text embeddings for RAG", name: "x") == .embedding)
        #expect(UseCase.infer(useCase: "General purpose", name: "BAAI/bge-small") == .embedding)
        #expect(UseCase.infer(useCase: "Code generation and completion", name: "x") == .coding)
        #expect(UseCase.infer(useCase: "Multimodal, on-device", name: "x") == .multimodal)
        #expect(UseCase.infer(useCase: "Advanced reasoning, chain-of-thought", name: "x") == .reasoning)
        #expect(UseCase.infer(useCase: "General purpose", name: "deepseek-ai/DeepSeek-R1-Distill") == .reasoning)
        #expect(UseCase.infer(useCase: "Instruction following, chat", name: "x") == .chat)
        #expect(UseCase.infer(useCase: "General purpose", name: "x") == .general)
        // Only the use case says multimodal, reasoning or chat; the name says code.
        #expect(UseCase.infer(useCase: "General purpose", name: "llava-vision-chat") == .general)
        #expect(UseCase.infer(useCase: "Vision", name: "starcoder") == .coding)
    }
}

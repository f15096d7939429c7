import Testing

@testable import BatonFit

/// SPEC §11's formulas against values worked out by hand (the arithmetic is in the comments).
@Suite struct FitAnalysisTests {
    static let rtx4090 = GPU(name: "NVIDIA GeForce RTX 4090", vramGB: 24, backend: .cuda)

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-6) -> Bool { abs(a - b) <= tolerance }

    /// 7 B chat model on a 24 GiB RTX 4090.
    @Test func aDenseSevenBillionModelOnA24GiBGPU() {
        let model = CatalogModel(
            name: "meta-llama/Llama-2-7b-chat-hf", paramsB: 7, contextLength: 32768,
            useCase: "Instruction following, chat", recommendedRAMGB: 8)
        let system = SystemSpecs(totalRAMGB: 64, availableRAMGB: 48, cpuCores: 16, cpuName: "x", gpus: [Self.rtx4090])
        let fit = FitAnalysis.analyse(model, on: system)
        // ctx min(32768, 8192) = 8192; kv 0.000008·7·8192 = 0.458752; Q8_0: 7·1.05 + 0.458752 + 0.5.
        #expect(fit.bestQuant == "Q8_0" && fit.runMode == .gpu && fit.contextUsed == 8192)
        #expect(Self.close(fit.requiredGB, 8.308752))
        #expect(fit.fitLevel == .perfect)  // recommended 8 GiB <= 24
        #expect(Self.close(fit.utilizationPct, 8.308752 / 24 * 100))
        // 1008 GB/s / (7 · 1.0) · 0.55.
        #expect(Self.close(fit.estimatedTPS, 79.2))
        // quality 75 (<10 B) + 2 (llama); speed 100 (capped); fit 100 (r < 0.7); context 100.
        #expect(fit.category == .chat && fit.quality == 77 && fit.speed == 100 && fit.fit == 100)
        #expect(fit.score == 90.8)  // .40·77 + .35·100 + .15·100 + .10·100
        #expect(fit.runtime == "llamacpp")
    }

    /// 70 B does not fit 24 GiB at any quantisation, so it runs with CPU offload from 60 GiB.
    @Test func aSeventyBillionModelFitsOnlyWithCPUOffload() {
        let model = CatalogModel(name: "meta-llama/Llama-3.1-70B", paramsB: 70, contextLength: 131072)
        let system = SystemSpecs(totalRAMGB: 64, availableRAMGB: 60, cpuCores: 16, cpuName: "x", gpus: [Self.rtx4090])
        let fit = FitAnalysis.analyse(model, on: system)
        // GPU: Q2_K still 30.99 (28.69 at half context) > 24. RAM: Q8 78.59, Q6 61.09 > 60; Q5_K_M 52.69.
        #expect(fit.runMode == .cpuOffload && fit.bestQuant == "Q5_K_M" && fit.contextUsed == 8192)
        #expect(Self.close(fit.requiredGB, 52.68752))
        #expect(fit.fitLevel == .marginal)  // 60 < 1.2 · 52.69
        // 1008 / (70 · 0.625) · 0.55 · 0.5.
        #expect(Self.close(fit.estimatedTPS, 6.336))
        // quality 95 + 2 (llama) − 2 (Q5); speed 6.336/40; fit r = 0.8781 → 67.26; general weights.
        #expect(fit.quality == 95 && Self.close(fit.speed, 15.84))
        #expect(Self.close(fit.fit, 67.2597679525312, 1e-9))
        #expect(fit.score == 67.6)
    }

    /// A 235 B MoE with 22 B active: no quantisation fits 24 GiB whole, but at half context the
    /// active experts do (Q5_K_M: 22·0.68 + 0.000008·235·4096 + 0.5 = 23.16) and the rest fits RAM.
    @Test func aMixtureOfExpertsModelOffloadsItsExperts() {
        let model = CatalogModel(
            name: "Qwen/Qwen3-235B-A22B", paramsB: 235, contextLength: 32768, isMoE: true, activeParamsB: 22)
        let gpu = GPU(name: "NVIDIA A40", vramGB: 24, backend: .cuda)
        let system = SystemSpecs(totalRAMGB: 256, availableRAMGB: 200, cpuCores: 32, cpuName: "x", gpus: [gpu])
        let fit = FitAnalysis.analyse(model, on: system)
        #expect(fit.runMode == .moeOffload && fit.bestQuant == "Q5_K_M" && fit.contextUsed == 4096)
        #expect(Self.close(fit.requiredGB, 168.00048))
        #expect(fit.fitLevel == .good)  // pool 24 + 200 >= 1.2 · 168
        // No bandwidth known for an A40: K(CUDA) 220 / 22 active · 1.0 (Q5) · 1.1 (>= 8 cores) · 0.8.
        #expect(Self.close(fit.estimatedTPS, 8.8))
        #expect(fit.notes.contains("fits only at a context of 4096 tokens"))
    }

    /// No GPU: judged on available RAM, CPU speed constant, CPU-only factor.
    @Test func aMachineWithoutAGPU() {
        let model = CatalogModel(
            name: "Qwen/Qwen2.5-Coder-3B-Instruct", paramsB: 3, contextLength: 16384,
            useCase: "Code generation and completion")
        let system = SystemSpecs(totalRAMGB: 32, availableRAMGB: 16, cpuCores: 8, cpuName: "x")
        let fit = FitAnalysis.analyse(model, on: system)
        #expect(fit.runMode == .cpuOnly && fit.bestQuant == "Q8_0")
        #expect(Self.close(fit.requiredGB, 3.846608))  // 3·1.05 + 0.000008·3·8192 + 0.5
        #expect(fit.fitLevel == .good)  // never perfect off the GPU
        #expect(Self.close(fit.estimatedTPS, 6.16))  // 70 / 3 · 0.8 · 1.1 · 0.3
        // coding: quality 60 + 2 (qwen) + 6 (coder) = 68; speed 15.4; fit 100; context 100.
        #expect(fit.category == .coding && fit.quality == 68)
        #expect(fit.score == 67.1)  // .5·68 + .2·15.4 + .15·100 + .15·100
    }

    /// Unified memory: the pool is all of RAM, the mode is GPU; the KV cache from the architecture.
    @Test func aUnifiedMemoryMachine() {
        let model = CatalogModel(
            name: "mlx-community/Qwen2.5-14B-Instruct-4bit", paramsB: 14, contextLength: 32768, layers: 48, kvHeads: 8,
            headDim: 128, format: "mlx", recommendedRAMGB: 40)
        let apple = GPU(name: "Apple M1 Max", vramGB: nil, backend: .metal, unifiedMemory: true)
        let system = SystemSpecs(
            totalRAMGB: 32, availableRAMGB: 20, cpuCores: 10, cpuName: "Apple M1 Max", gpus: [apple],
            unifiedMemory: true, cpuBackend: .cpuARM)
        let fit = FitAnalysis.analyse(model, on: system)
        // kv 2·48·8·128·8192·2 bytes = 1.5 GiB; Q8_0 14·1.05 + 1.5 + 0.5 = 16.7 <= 32.
        #expect(fit.runMode == .gpu && fit.bestQuant == "Q8_0")
        #expect(Self.close(fit.requiredGB, 16.7))
        #expect(fit.fitLevel == .good)  // recommended 40 > 32, but 32 >= 1.2 · 16.7
        #expect(Self.close(fit.estimatedTPS, 400 / 14.0 * 0.55))  // M1 Max 400 GB/s
        #expect(fit.runtime == "mlx")
    }

    @Test func tooTightWhenNothingFits() {
        let model = CatalogModel(name: "big", paramsB: 400, contextLength: 8192, quantization: "Q4_K_M")
        let system = SystemSpecs(totalRAMGB: 16, availableRAMGB: 8, cpuCores: 4, cpuName: "x")
        let fit = FitAnalysis.analyse(model, on: system)
        #expect(fit.fitLevel == .tooTight && fit.fit == 0 && fit.bestQuant == "Q4_K_M")
    }

    @Test func fixedQuantisationsAreKept() {
        let model = CatalogModel(
            name: "TheBloke/Mistral-7B-AWQ", paramsB: 7, contextLength: 8192, format: "awq", quantization: "AWQ-4bit")
        let system = SystemSpecs(totalRAMGB: 64, availableRAMGB: 48, cpuCores: 16, cpuName: "x", gpus: [Self.rtx4090])
        let fit = FitAnalysis.analyse(model, on: system)
        #expect(fit.bestQuant == "AWQ-4bit")
        #expect(Self.close(fit.requiredGB, 7 * 0.5 + 0.000008 * 7 * 8192 + 0.5))
    }

    @Test func bandwidthMatchesWholeWordsMostSpecificFirst() {
        #expect(FitAnalysis.bandwidthGBps(gpuName: "NVIDIA GeForce RTX 4090") == 1008)
        #expect(FitAnalysis.bandwidthGBps(gpuName: "NVIDIA L4") == 300)
        #expect(FitAnalysis.bandwidthGBps(gpuName: "NVIDIA L40S") == nil)
        #expect(FitAnalysis.bandwidthGBps(gpuName: "Apple M1 Max") == 400)
        #expect(FitAnalysis.bandwidthGBps(gpuName: "Apple M1") == 68)
        #expect(FitAnalysis.bandwidthGBps(gpuName: "NVIDIA H100 PCIe") == 2039)
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
    }
}

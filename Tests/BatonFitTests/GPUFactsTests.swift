import Testing

@testable import BatonFit

/// llmfit's GPU tables: bandwidth, compute capability, shared-memory NVIDIA parts.
@Suite struct GPUFactsTests {
    /// llmfit's table: case-insensitive substrings, the first listed that matches wins.
    @Test func bandwidthIsLookedUpByNameInTableOrder() {
        #expect(GPUFacts.bandwidthGBps(gpuName: "NVIDIA GeForce RTX 4090") == 1008)
        #expect(GPUFacts.bandwidthGBps(gpuName: "NVIDIA L4") == 300)
        #expect(GPUFacts.bandwidthGBps(gpuName: "NVIDIA L40S") == 864)
        #expect(GPUFacts.bandwidthGBps(gpuName: "NVIDIA A40") == nil)
        #expect(GPUFacts.bandwidthGBps(gpuName: "Apple M1 Max") == 400)
        #expect(GPUFacts.bandwidthGBps(gpuName: "Apple M1") == 68)
        #expect(GPUFacts.bandwidthGBps(gpuName: "NVIDIA H100 PCIe") == 2039)
        #expect(GPUFacts.bandwidthGBps(gpuName: "NVIDIA H100 80GB HBM3 SXM") == 2039)  // "h100 sxm" not adjacent
        #expect(GPUFacts.bandwidthGBps(gpuName: "NVIDIA A100-SXM4-80GB") == 1555)
        #expect(GPUFacts.bandwidthGBps(gpuName: "AMD Radeon RX 7900 XTX") == 960)
        #expect(GPUFacts.bandwidthGBps(gpuName: "AMD Instinct MI300X") == 5300)
    }

    @Test func computeCapabilityGatesThePrequantisedFormats() {
        #expect(GPUFacts.computeCapability(gpuName: "NVIDIA GeForce RTX 4090")! == (8, 9))
        #expect(GPUFacts.computeCapability(gpuName: "NVIDIA H100 80GB HBM3")! == (9, 0))
        #expect(GPUFacts.computeCapability(gpuName: "Tesla V100-SXM2-32GB")! == (7, 0))
        #expect(GPUFacts.computeCapability(gpuName: "AMD Radeon RX 7900 XTX") == nil)
        #expect(GPUFacts.minimumComputeCapability(quantization: "AWQ-4bit")! == (7, 5))
        #expect(GPUFacts.minimumComputeCapability(quantization: "AutoRound-4bit") == nil)
    }

    @Test func sharedMemoryNVIDIAParts() {
        for name in ["NVIDIA GB10", "NVIDIA Corporation Device [10de:2e12] (rev a1)", "Orin (nvgpu)"] {
            #expect(GPUFacts.isNVIDIAUnifiedMemory(name), "\(name)")
        }
        #expect(!GPUFacts.isNVIDIAUnifiedMemory("NVIDIA GeForce RTX 4090"))
    }
}

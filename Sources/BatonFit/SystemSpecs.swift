/// The inference backend a GPU (or the CPU) offers, as the node API names it.
public enum Backend: String, Sendable, CaseIterable {
    case cuda = "CUDA"
    case rocm = "ROCm"
    case vulkan = "Vulkan"
    case sycl = "SYCL"
    case metal = "Metal"
    case cpuX86 = "CPU (x86)"
    case cpuARM = "CPU (ARM)"
}

/// One kind of GPU in the machine: identical cards are one entry with a count.
public struct GPU: Sendable, Equatable {
    public var name: String
    /// VRAM of one card in GiB; nil when the driver did not say.
    public var vramGB: Double?
    /// Free VRAM of one card in GiB, when the driver reports it (Baton goes further than llmfit).
    public var freeVRAMGB: Double?
    public var backend: Backend
    public var count: Int
    public var unifiedMemory: Bool
    /// An integrated GPU, dropped from the pool when a discrete one exists.
    public var integrated: Bool

    public init(
        name: String, vramGB: Double?, freeVRAMGB: Double? = nil, backend: Backend, count: Int = 1,
        unifiedMemory: Bool = false, integrated: Bool = false
    ) {
        self.name = name
        self.vramGB = vramGB
        self.freeVRAMGB = freeVRAMGB
        self.backend = backend
        self.count = count
        self.unifiedMemory = unifiedMemory
        self.integrated = integrated
    }
}

/// What the analysis needs to know about a machine.
public struct SystemSpecs: Sendable, Equatable {
    public var totalRAMGB: Double
    public var availableRAMGB: Double
    public var cpuCores: Int
    public var cpuName: String
    public var gpus: [GPU]
    /// Apple-style memory shared by CPU and GPU (also true when the primary GPU says so).
    public var unifiedMemory: Bool
    /// The CPU's own backend when there is no GPU (`CPU (x86)` or `CPU (ARM)`).
    public var cpuBackend: Backend
    /// How much of a unified pool the GPU may use, when the platform says (macOS's Metal does;
    /// Linux never sets it).
    public var gpuAvailableGB: Double?
    /// System RAM bandwidth, GB/s, for MoE experts streamed from RAM; nil: 50.
    public var ramBandwidthGBps: Double?

    public init(
        totalRAMGB: Double, availableRAMGB: Double, cpuCores: Int, cpuName: String, gpus: [GPU] = [],
        unifiedMemory: Bool = false, cpuBackend: Backend = .cpuX86, gpuAvailableGB: Double? = nil,
        ramBandwidthGBps: Double? = nil
    ) {
        self.totalRAMGB = totalRAMGB
        self.availableRAMGB = availableRAMGB
        self.cpuCores = cpuCores
        self.cpuName = cpuName
        self.gpus = gpus
        self.unifiedMemory = unifiedMemory
        self.cpuBackend = cpuBackend
        self.gpuAvailableGB = gpuAvailableGB
        self.ramBandwidthGBps = ramBandwidthGBps
    }

    /// The GPUs that count, most VRAM first (ties in detection order): integrated ones only
    /// when there is no discrete one.
    public var poolGPUs: [GPU] {
        let discrete = gpus.filter { !$0.integrated }
        let counted = discrete.isEmpty ? gpus : discrete
        return counted.enumerated().sorted { a, b in
            let x = a.element.vramGB ?? 0
            let y = b.element.vramGB ?? 0
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
    }

    /// The primary GPU: the counted one with the most VRAM.
    public var primaryGPU: GPU? { poolGPUs.first }

    public var hasGPU: Bool { !poolGPUs.isEmpty }

    /// VRAM of one primary card, GiB; nil when unknown.
    public var gpuVRAMGB: Double? { primaryGPU?.vramGB }

    /// VRAM summed over every counted card (cards × count); nil when none is known.
    public var totalGPUVRAMGB: Double? {
        let sum = poolGPUs.reduce(0.0) { total, gpu in total + (gpu.vramGB.map { $0 * Double(gpu.count) } ?? 0) }
        return sum > 0 ? sum : nil
    }

    public var gpuName: String? { primaryGPU?.name }
    public var gpuCount: Int { poolGPUs.reduce(0) { $0 + $1.count } }
    public var backend: Backend { primaryGPU?.backend ?? cpuBackend }
    /// Whether the pool is shared memory: said of the machine or of its primary GPU.
    public var isUnifiedMemory: Bool { unifiedMemory || (primaryGPU?.unifiedMemory ?? false) }
}

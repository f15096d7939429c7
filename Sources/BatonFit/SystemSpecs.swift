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
    /// Apple-style memory shared by CPU and GPU: the pool is all of RAM.
    public var unifiedMemory: Bool
    /// The CPU's own backend when there is no GPU (`CPU (x86)` or `CPU (ARM)`).
    public var cpuBackend: Backend

    public init(
        totalRAMGB: Double, availableRAMGB: Double, cpuCores: Int, cpuName: String, gpus: [GPU] = [],
        unifiedMemory: Bool = false, cpuBackend: Backend = .cpuX86
    ) {
        self.totalRAMGB = totalRAMGB
        self.availableRAMGB = availableRAMGB
        self.cpuCores = cpuCores
        self.cpuName = cpuName
        self.gpus = gpus
        self.unifiedMemory = unifiedMemory
        self.cpuBackend = cpuBackend
    }

    /// The GPUs that count: integrated ones only when there is no discrete one.
    public var poolGPUs: [GPU] {
        let discrete = gpus.filter { !$0.integrated }
        return discrete.isEmpty ? gpus : discrete
    }

    public var hasGPU: Bool { !poolGPUs.isEmpty }

    /// The GPU pool: VRAM summed over every counted card; nil when no card's VRAM is known.
    public var gpuVRAMGB: Double? {
        let known = poolGPUs.compactMap { gpu in gpu.vramGB.map { $0 * Double(gpu.count) } }
        return known.isEmpty ? nil : known.reduce(0, +)
    }

    public var gpuName: String? { poolGPUs.first?.name }
    public var gpuCount: Int { poolGPUs.reduce(0) { $0 + $1.count } }
    public var backend: Backend { poolGPUs.first?.backend ?? cpuBackend }
}

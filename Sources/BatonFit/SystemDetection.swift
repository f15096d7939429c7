import BatonJSON
import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// Reads this machine's hardware: /proc for memory and CPU, `nvidia-smi` for NVIDIA GPUs. Each
/// source is parsed by `HardwareParsers`; a missing tool or file just means "not there".
public enum SystemDetection {
    /// What an operator can set instead of what was detected, to plan for another machine.
    public struct Overrides: Sendable {
        public var ramGB: Double?
        public var vramGB: Double?
        public var gpuName: String?
        public init(ramGB: Double? = nil, vramGB: Double? = nil, gpuName: String? = nil) {
            self.ramGB = ramGB
            self.vramGB = vramGB
            self.gpuName = gpuName
        }
    }

    public static func detect(_ overrides: Overrides = Overrides()) -> SystemSpecs {
        let memory = HardwareParsers.meminfo(readFile("/proc/meminfo") ?? "") ?? (0, 0)
        let cpu = HardwareParsers.cpuinfo(readFile("/proc/cpuinfo") ?? "")
        var system = SystemSpecs(
            totalRAMGB: memory.totalGB, availableRAMGB: memory.availableGB, cpuCores: cpu.cores, cpuName: cpu.name,
            gpus: nvidiaGPUs(),
            cpuBackend: machine().hasPrefix("aarch64") || machine().hasPrefix("arm") ? .cpuARM : .cpuX86)
        return apply(overrides, to: &system)
    }

    /// Overrides replace what was detected: RAM (total and available), and the GPU pool as one
    /// card of the given size and name.
    public static func apply(_ overrides: Overrides, to system: inout SystemSpecs) -> SystemSpecs {
        if let ram = overrides.ramGB {
            system.totalRAMGB = ram
            system.availableRAMGB = ram
        }
        if overrides.vramGB != nil || overrides.gpuName != nil {
            let current = system.poolGPUs.first
            let gpu = GPU(
                name: overrides.gpuName ?? current?.name ?? "GPU", vramGB: overrides.vramGB ?? system.gpuVRAMGB,
                backend: current?.backend ?? .cuda)
            system.gpus = [gpu]
        }
        return system
    }

    static func nvidiaGPUs() -> [GPU] {
        let options = Subprocess.Options(
            "/usr/bin/env",
            ["nvidia-smi", "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
            captureLimit: 64 * 1024)
        guard let result = try? Subprocess.run(options, timeout: 5), result.status == 0 else { return [] }
        return HardwareParsers.nvidiaSMI(result.stdout)
    }

    static func machine() -> String {
        var info = utsname()
        guard uname(&info) == 0 else { return "" }
        return withUnsafeBytes(of: info.machine) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// A small text file whole (nil when it cannot be read).
    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
            if bytes.count > 4 << 20 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension SystemSpecs {
    /// The node API's `system` object.
    public var json: JSONValue {
        func gb(_ x: Double) -> JSONValue { .double((x * 100).rounded() / 100) }
        return [
            "total_ram_gb": gb(totalRAMGB), "available_ram_gb": gb(availableRAMGB), "cpu_cores": .int(Int64(cpuCores)),
            "cpu_name": .string(cpuName), "has_gpu": .bool(hasGPU), "gpu_vram_gb": gpuVRAMGB.map(gb) ?? .null,
            "gpu_name": gpuName.map(JSONValue.string) ?? .null, "gpu_count": .int(Int64(gpuCount)),
            "unified_memory": .bool(unifiedMemory), "backend": .string(backend.rawValue),
            "gpus": .array(
                poolGPUs.map { gpu in
                    [
                        "name": .string(gpu.name), "vram_gb": gpu.vramGB.map(gb) ?? .null,
                        "free_vram_gb": gpu.freeVRAMGB.map(gb) ?? .null, "backend": .string(gpu.backend.rawValue),
                        "count": .int(Int64(gpu.count)), "unified_memory": .bool(gpu.unifiedMemory),
                    ]
                }),
        ]
    }
}

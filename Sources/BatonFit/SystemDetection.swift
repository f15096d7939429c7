import BatonJSON
import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// Reads this machine's hardware: /proc for memory and CPU, `nvidia-smi` and `rocm-smi` for GPUs,
/// /sys/class/drm when neither tool answers. Each
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
            gpus: HardwareParsers.settle(gpus(), totalRAMGB: memory.totalGB, cpuName: cpu.name),
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
                name: overrides.gpuName ?? current?.name ?? "GPU", vramGB: overrides.vramGB ?? system.totalGPUVRAMGB,
                backend: current?.backend ?? .cuda)
            system.gpus = [gpu]
        }
        return system
    }

    /// The vendors' tools first (they know names and free memory); the kernel's DRM devices when
    /// neither answers.
    static func gpus() -> [GPU] {
        let query = "--format=csv,noheader,nounits"
        var nvidia = run(["nvidia-smi", "--query-gpu=name,memory.total,memory.free,addressing_mode", query])
        if nvidia.isEmpty { nvidia = run(["nvidia-smi", "--query-gpu=name,memory.total,memory.free", query]) }
        var found = HardwareParsers.nvidiaSMI(nvidia)
        let vram = run(["rocm-smi", "--showmeminfo", "vram"])
        var amd =
            vram.isEmpty
            ? [] : HardwareParsers.rocmSMIText(vram: vram, product: run(["rocm-smi", "--showproductname"]).nonEmpty)
        if amd.isEmpty {
            amd = HardwareParsers.rocmSMI(run(["rocm-smi", "--showproductname", "--showmeminfo", "vram", "--json"]))
        }
        found += amd
        return found.isEmpty ? HardwareParsers.drm(drmCards()) : found
    }

    /// A tool's standard output, or "" when it is missing, fails or hangs.
    static func run(_ arguments: [String]) -> String {
        let options = Subprocess.Options("/usr/bin/env", arguments, captureLimit: 256 * 1024)
        guard let result = try? Subprocess.run(options, timeout: 5), result.status == 0 else { return "" }
        return result.stdout
    }

    /// `/sys/class/drm/cardN/device/…` for every card (not its connectors, `card0-DP-1`).
    static func drmCards(root: String = "/sys/class/drm") -> [HardwareParsers.DRMCard] {
        let names = listDirectory(root).filter { name in
            name.hasPrefix("card") && name.count > 4 && name.dropFirst(4).allSatisfy(\.isNumber)
        }
        return names.sorted(by: HardwareParsers.cardOrder).map { name in
            let device = "\(root)/\(name)/device/"
            return HardwareParsers.DRMCard(
                vendor: readFile(device + "vendor"), vramTotal: readFile(device + "mem_info_vram_total"),
                vramUsed: readFile(device + "mem_info_vram_used"), productName: readFile(device + "product_name"))
        }
    }

    static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = DirectoryEntry.name(entry)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
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
            "gpu_available_gb": gpuAvailableGB.map(gb) ?? .null,
            "gpu_name": gpuName.map(JSONValue.string) ?? .null, "gpu_count": .int(Int64(gpuCount)),
            "unified_memory": .bool(isUnifiedMemory), "backend": .string(backend.rawValue),
            "gpus": .array(
                poolGPUs.map { gpu in
                    [
                        "name": .string(gpu.name), "vram_gb": gpu.vramGB.map(gb) ?? .null,
                        "free_vram_gb": gpu.freeVRAMGB.map(gb) ?? .null, "backend": .string(gpu.backend.rawValue),
                        "count": .int(Int64(gpu.count)), "unified_memory": .bool(gpu.unifiedMemory),
                        "memory_bandwidth_gbps": GPUFacts.bandwidthGBps(gpuName: gpu.name).map(JSONValue.double)
                            ?? .null,
                    ]
                }),
        ]
    }
}

import BatonCore
import BatonFit
import BatonJSON

enum SystemCommand: BatonCommand {
    static let name = "system"
    static let summary = "Show the hardware this machine offers models (RAM, CPU, GPUs)."
    static let help = """
        Usage: baton system [--json] [--ram-gb N] [--vram-gb N] [--gpu-name NAME]

        Detects total and available RAM and the CPU from /proc, and NVIDIA GPUs through nvidia-smi
        (identical cards grouped with a count; free VRAM beside the total). The overrides plan for
        another machine: they replace what was detected.

        Options:
          --json             Print the node API's {node, system} document instead of a summary.
          --ram-gb N         Use N GiB as total and available RAM.
          --vram-gb N        Use one GPU with N GiB of VRAM.
          --gpu-name NAME    Use this GPU name (it picks the memory bandwidth used for speed estimates).
          --help             Show this help.
        """
    static let options = CommandLineOptions.Spec(valued: ["ram-gb", "vram-gb", "gpu-name"], flags: ["json"])

    static func run(_ options: CommandLineOptions) async throws {
        guard options.positionals.isEmpty else {
            throw UsageError("system takes no arguments, got '\(options.positionals[0])'")
        }
        let system = SystemDetection.detect(try overrides(options))
        if options.has("json") {
            let node = NodeIdentity.current()
            let document: JSONValue = [
                "node": ["name": .string(node.name), "os": .string(node.os)], "system": system.json,
            ]
            print(document.prettyText)
            return
        }
        print(summary(system))
    }

    /// `--ram-gb`, `--vram-gb` and `--gpu-name`, shared with `baton fit`.
    static func overrides(_ options: CommandLineOptions) throws(UsageError) -> SystemDetection.Overrides {
        func gigabytes(_ name: String) throws(UsageError) -> Double? {
            guard let text = options.value(name) else { return nil }
            guard let value = Double(text), value > 0, value <= 65536 else {
                throw UsageError("--\(name) must be a number of GiB above 0, not '\(text)'")
            }
            return value
        }
        let gpuName = options.value("gpu-name")
        if let gpuName, gpuName.isEmpty || gpuName.utf8.count > 200 {
            throw UsageError("--gpu-name must be 1 to 200 characters")
        }
        return SystemDetection.Overrides(
            ramGB: try gigabytes("ram-gb"), vramGB: try gigabytes("vram-gb"), gpuName: gpuName)
    }

    static func summary(_ system: SystemSpecs) -> String {
        func gb(_ x: Double) -> String {
            let rounded = (x * 10).rounded() / 10
            return "\(rounded) GiB"
        }
        var lines = [
            "CPU      \(system.cpuName) (\(system.cpuCores) logical cores)",
            "RAM      \(gb(system.totalRAMGB)) total, \(gb(system.availableRAMGB)) available",
            "Backend  \(system.backend.rawValue)" + (system.unifiedMemory ? " (unified memory)" : ""),
        ]
        if system.poolGPUs.isEmpty {
            lines.append("GPU      none detected")
        }
        for gpu in system.poolGPUs {
            var line = "GPU      \(gpu.count) × \(gpu.name)"
            if let vram = gpu.vramGB { line += ", \(gb(vram))" }
            if let free = gpu.freeVRAMGB { line += " (\(gb(free)) free)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

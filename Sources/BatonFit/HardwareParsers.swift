/// Pure parsers over what Linux and the GPU tools print, so each is tested on captured samples.
public enum HardwareParsers {
    static let kibPerGiB = 1024.0 * 1024.0

    /// `/proc/meminfo`: MemTotal and MemAvailable in GiB (MemFree when MemAvailable is missing,
    /// as on very old kernels); nil without MemTotal.
    public static func meminfo(_ text: String) -> (totalGB: Double, availableGB: Double)? {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let number = parts[1].split(separator: " ").first.flatMap { Double($0) }
            if let number { values[String(parts[0])] = number }
        }
        guard let total = values["MemTotal"], total > 0 else { return nil }
        let available = values["MemAvailable"] ?? values["MemFree"] ?? 0
        return (total / kibPerGiB, min(total, available) / kibPerGiB)
    }

    /// `/proc/cpuinfo`: logical cores (processor entries) and the CPU's name (the first
    /// "model name", or "Hardware"/"Processor" on ARM boards).
    public static func cpuinfo(_ text: String) -> (cores: Int, name: String) {
        var cores = 0
        var name: String?
        var fallback: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: " \t")
            let value = parts[1].trimmingCharacters(in: " \t")
            switch key {
            case "processor": cores += 1
            case "model name": if name == nil, !value.isEmpty { name = value }
            case "Hardware", "Processor", "cpu model": if fallback == nil, !value.isEmpty { fallback = value }
            default: continue
            }
        }
        return (max(1, cores), name ?? fallback ?? "unknown CPU")
    }

    /// `nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits`: one
    /// line per card, MiB. Identical cards (same name and size) become one entry with a count.
    /// Lines that are not three columns of that shape (driver errors, headers) are skipped.
    public static func nvidiaSMI(_ text: String) -> [GPU] {
        var gpus: [GPU] = []
        for line in text.split(separator: "\n") {
            let columns = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: " \t\r")
            }
            guard columns.count >= 2, !columns[0].isEmpty, let totalMiB = Double(columns[1]), totalMiB > 0 else {
                continue
            }
            let freeMiB = columns.count >= 3 ? Double(columns[2]) : nil
            let gpu = GPU(
                name: columns[0], vramGB: totalMiB / 1024, freeVRAMGB: freeMiB.map { $0 / 1024 }, backend: .cuda)
            group(gpu, into: &gpus)
        }
        return gpus
    }

    /// Adds `gpu` to `list`, counting it with an identical card already there.
    static func group(_ gpu: GPU, into list: inout [GPU]) {
        if let index = list.firstIndex(where: { $0.name == gpu.name && $0.vramGB == gpu.vramGB }) {
            list[index].count += gpu.count
            if let free = gpu.freeVRAMGB { list[index].freeVRAMGB = min(list[index].freeVRAMGB ?? free, free) }
        } else {
            list.append(gpu)
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let first = s.first, set.contains(first) { s = s.dropFirst() }
        while let last = s.last, set.contains(last) { s = s.dropLast() }
        return String(s)
    }
}

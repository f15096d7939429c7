import BatonJSON
import BatonPlatform

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

    /// `rocm-smi --showproductname --showmeminfo vram --json`: an object per card ("card0", …)
    /// with "Card series" (or "Card Series"/"Card model") and "VRAM Total Memory (B)" /
    /// "VRAM Total Used Memory (B)" as strings of bytes. Older releases print no JSON, only lines
    /// like `GPU[0] : VRAM Total Memory (B): 25753026560`; both are read. Cards without a positive
    /// total are skipped; identical cards are grouped.
    public static func rocmSMI(_ text: String) -> [GPU] {
        var cards: [(key: String, fields: [String: String])] = []
        if let object = try? JSONParser.parse(text).objectValue {
            for (key, value) in object where key.lowercased().hasPrefix("card") {
                var fields: [String: String] = [:]
                for (name, field) in value.objectValue ?? [:] {
                    // A number no Int64 holds (rocm-smi prints what the driver says) is skipped.
                    let number = field.doubleValue.flatMap { Int64(exactly: $0.rounded(.towardZero)) }
                    if let text = field.stringValue ?? number.map(String.init) {
                        fields[name.lowercased()] = text
                    }
                }
                cards.append((key, fields))
            }
        } else {
            // GPU[0]		: Card series: 		Navi 31 [Radeon RX 7900 XTX]
            var byIndex: [String: [String: String]] = [:]
            for line in text.split(separator: "\n") {
                guard line.hasPrefix("GPU["), let close = line.firstIndex(of: "]") else { continue }
                let index = String(line[line.index(line.startIndex, offsetBy: 4)..<close])
                let rest = line[line.index(after: close)...].trimmingCharacters(in: " \t:")
                let parts = Substring(rest).split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                byIndex[index, default: [:]][parts[0].trimmingCharacters(in: " \t").lowercased()] =
                    parts[1].trimmingCharacters(in: " \t\r")
            }
            cards = byIndex.map { (key: "card" + $0.key, fields: $0.value) }
        }
        var gpus: [GPU] = []
        for card in cards.sorted(by: { cardOrder($0.key, $1.key) }) {
            let f = card.fields
            guard let total = f["vram total memory (b)"].flatMap(Double.init), total > 0 else { continue }
            let used = f["vram total used memory (b)"].flatMap(Double.init)
            let series = f["card series"] ?? f["card model"] ?? f["marketing name"] ?? "AMD GPU"
            let gpu = GPU(
                name: amdName(series), vramGB: total / (kibPerGiB * 1024),
                freeVRAMGB: used.map { max(0, total - $0) / (kibPerGiB * 1024) }, backend: .rocm)
            group(gpu, into: &gpus)
        }
        return gpus
    }

    /// "Navi 31 [Radeon RX 7900 XTX]" reads better as "AMD Radeon RX 7900 XTX".
    static func amdName(_ series: String) -> String {
        guard let open = series.firstIndex(of: "["), let close = series.lastIndex(of: "]"), open < close else {
            return series
        }
        let inner = series[series.index(after: open)..<close].trimmingCharacters(in: " ")
        guard !inner.isEmpty else { return series }
        return inner.hasPrefix("AMD") ? inner : "AMD " + inner
    }

    /// card2 before card10.
    static func cardOrder(_ a: String, _ b: String) -> Bool {
        let x = Int(a.drop { !$0.isNumber }) ?? .max
        let y = Int(b.drop { !$0.isNumber }) ?? .max
        return x != y ? x < y : a < b
    }

    /// What `/sys/class/drm/cardN/device/` says of one card: the files read as they are
    /// (nil when absent).
    public struct DRMCard: Sendable, Equatable {
        public var vendor: String?
        public var vramTotal: String?
        public var vramUsed: String?
        public var productName: String?
        public init(vendor: String?, vramTotal: String? = nil, vramUsed: String? = nil, productName: String? = nil) {
            self.vendor = vendor
            self.vramTotal = vramTotal
            self.vramUsed = vramUsed
            self.productName = productName
        }
    }

    /// The fallback when no vendor tool answers: the kernel's DRM devices. AMD (0x1002) cards
    /// report `mem_info_vram_total` in bytes; a card without it (Intel, or an APU's small
    /// carve-out) counts as integrated. NVIDIA (0x10de) exposes no VRAM here, so its size is
    /// unknown. Without ROCm's tool an AMD card is used through Vulkan; Intel through SYCL.
    public static func drm(_ cards: [DRMCard]) -> [GPU] {
        var gpus: [GPU] = []
        for card in cards {
            let vendor = card.vendor?.trimmingCharacters(in: " \n\t").lowercased()
            let total = card.vramTotal.flatMap { Double($0.trimmingCharacters(in: " \n\t")) }.flatMap {
                $0 > 0 ? $0 : nil
            }
            let used = card.vramUsed.flatMap { Double($0.trimmingCharacters(in: " \n\t")) }
            let named = card.productName?.trimmingCharacters(in: " \n\t").nonEmpty
            let gib = kibPerGiB * 1024
            let gpu: GPU
            switch vendor {
            case "0x1002":
                // An APU's VRAM carve-out is small (≤ 2 GiB typical) and shares RAM: integrated.
                let discrete = (total ?? 0) > 2 * gib
                gpu = GPU(
                    name: named ?? "AMD GPU", vramGB: discrete ? total.map { $0 / gib } : nil,
                    freeVRAMGB: discrete ? total.flatMap { t in used.map { max(0, t - $0) / gib } } : nil,
                    backend: .vulkan,
                    integrated: !discrete)
            case "0x10de":
                gpu = GPU(name: named ?? "NVIDIA GPU", vramGB: nil, backend: .cuda)
            case "0x8086":
                gpu = GPU(
                    name: named ?? "Intel GPU", vramGB: total.map { $0 / gib }, backend: .sycl, integrated: total == nil
                )
            default:
                continue
            }
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

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

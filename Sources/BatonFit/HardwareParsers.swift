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

    /// `nvidia-smi --query-gpu=name,memory.total,memory.free[,addressing_mode]
    /// --format=csv,noheader,nounits`: one line per card, MiB. Cards are grouped by name (the
    /// largest size and the least free memory kept), in name order, as llmfit does. A card whose
    /// memory reads `[N/A]` or 0 (GB10, Jetson) is kept with its size unknown; an addressing mode
    /// of `ATS` marks shared memory. Lines without a name (driver errors, headers) are skipped.
    public static func nvidiaSMI(_ text: String) -> [GPU] {
        var byName: [String: GPU] = [:]
        for line in text.split(separator: "\n") {
            let columns = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: " \t\r")
            }
            guard columns.count >= 2, !columns[0].isEmpty else { continue }
            let totalMiB = Double(columns[1]).flatMap { $0 > 0 ? $0 : nil }
            if totalMiB == nil, !columns[1].isEmpty, !columns[1].contains("N/A"), Double(columns[1]) == nil {
                continue  // not a memory column: an error line, not a card
            }
            let freeMiB = columns.count >= 3 ? Double(columns[2]) : nil
            let unified = columns.count >= 4 && columns[3].uppercased() == "ATS"
            var gpu = GPU(
                name: columns[0], vramGB: totalMiB.map { $0 / 1024 }, freeVRAMGB: freeMiB.map { $0 / 1024 },
                backend: .cuda, unifiedMemory: unified)
            if let seen = byName[gpu.name] {
                gpu.count = seen.count + 1
                gpu.vramGB = [seen.vramGB, gpu.vramGB].compactMap { $0 }.max()
                gpu.freeVRAMGB = [seen.freeVRAMGB, gpu.freeVRAMGB].compactMap { $0 }.min()
                gpu.unifiedMemory = seen.unifiedMemory || unified
            }
            byName[gpu.name] = gpu
        }
        return byName.keys.sorted().compactMap { byName[$0] }
    }

    /// `rocm-smi --showmeminfo vram` and `rocm-smi --showproductname` as text, in either layout
    /// rocm-smi prints: one `GPU[n] : field: value` line per field, or a table with a header row
    /// and a row per device (starting with its index). When a card has more than 2 GiB, cards of
    /// 2 GiB or less (an APU's carve-out) are dropped; the rest are grouped by name (the largest
    /// size kept), in name order. A name rocm-smi cannot read (`N/A`) is "AMD GPU"; a generic
    /// integrated-looking name gets its gfx target ("AMD Radeon Graphics (gfx906)").
    public static func rocmSMIText(vram: String, product: String?) -> [GPU] {
        let totals = rocmVRAMTotals(vram)
        let names = product.map(rocmProductNames) ?? []
        let gib = kibPerGiB * 1024
        let hasDiscrete = totals.contains { Double($0) > 2 * gib }
        var byName: [String: GPU] = [:]
        for i in 0..<max(totals.count, names.count) {
            let bytes = i < totals.count ? totals[i] : 0
            if hasDiscrete && Double(bytes) <= 2 * gib { continue }
            let name = i < names.count ? names[i] : "AMD GPU"
            var gpu = GPU(name: name, vramGB: bytes > 0 ? Double(bytes) / gib : nil, backend: .rocm)
            if let seen = byName[name] {
                gpu.count = seen.count + 1
                gpu.vramGB = [seen.vramGB, gpu.vramGB].compactMap { $0 }.max()
            }
            byName[name] = gpu
        }
        return byName.keys.sorted().compactMap { byName[$0] }
    }

    /// Per-card VRAM totals in bytes, in device order.
    static func rocmVRAMTotals(_ text: String) -> [UInt64] {
        var totals: [UInt64] = []
        for line in text.split(separator: "\n") {
            let lower = line.lowercased()
            guard lower.contains("total") && !lower.contains("used") else { continue }
            if let value = line.split(whereSeparator: \.isWhitespace).compactMap({ UInt64($0) }).last, value > 0 {
                totals.append(value)
            }
        }
        if !totals.isEmpty { return totals }
        // The table: a device row starts with its index; its first number of 64 MiB or more is
        // the total (the used column comes after it).
        for line in text.split(separator: "\n") {
            let tokens = line.split(whereSeparator: \.isWhitespace)
            guard let first = tokens.first, UInt32(first) != nil else { continue }
            if let total = tokens.compactMap({ UInt64($0) }).first(where: { $0 >= 64 * 1024 * 1024 }) {
                totals.append(total)
            }
        }
        return totals
    }

    /// Per-card product names, in device order.
    static func rocmProductNames(_ text: String) -> [String] {
        var names: [String] = []
        var gfx: [String] = []
        for line in text.split(separator: "\n") {
            let lower = line.lowercased()
            guard line.contains(":"), let last = line.split(separator: ":", omittingEmptySubsequences: false).last
            else { continue }
            let value = last.trimmingCharacters(in: " \t\r")
            guard !value.isEmpty else { continue }
            if lower.contains("card series") {
                names.append(isPlaceholderName(value) ? "AMD GPU" : value)
            } else if lower.contains("gfx version") {
                gfx.append(value)
            }
        }
        if !names.isEmpty {
            if gfx.count == names.count {
                for i in names.indices where isIntegratedGPUName(names[i]) { names[i] += " (\(gfx[i]))" }
            }
            return names
        }
        // The table: the Card Series column runs from its header to the next known header.
        let lines = text.split(separator: "\n").map { Array($0.utf8) }
        guard
            let header = lines.first(where: { String(decoding: $0, as: UTF8.self).lowercased().contains("card series") }
            )
        else { return [] }
        let lowerHeader = Array(String(decoding: header, as: UTF8.self).lowercased().utf8)
        func offset(of word: String) -> Int? {
            let needle = Array(word.utf8)
            guard needle.count <= lowerHeader.count else { return nil }
            return (0...(lowerHeader.count - needle.count)).first {
                Array(lowerHeader[$0..<($0 + needle.count)]) == needle
            }
        }
        guard let start = offset(of: "card series") else { return [] }
        let end =
            ["card model", "card vendor", "card sku", "card partition"].compactMap(offset(of:)).filter { $0 > start }
            .min()
            ?? header.count
        for line in lines {
            let tokens = String(decoding: line, as: UTF8.self).split(whereSeparator: \.isWhitespace)
            guard let first = tokens.first, UInt32(first) != nil else { continue }
            guard line.count > start else {
                names.append("AMD GPU")
                continue
            }
            let name = String(decoding: line[start..<min(end, line.count)], as: UTF8.self)
                .trimmingCharacters(in: " \t\r")
            names.append(name.isEmpty || isPlaceholderName(name) ? "AMD GPU" : name)
        }
        return names
    }

    /// What tools print when they cannot read a name.
    static func isPlaceholderName(_ name: String) -> Bool {
        ["", "n/a", "na", "n-a", "n\\a", "unknown", "none", "null", "-"].contains(
            name.trimmingCharacters(in: " \t\r\n").lowercased())
    }

    /// Names that say integrated: tagged so, an AMD mobile iGPU (Radeon 610M…890M), Intel
    /// UHD/HD Graphics/Iris (not Arc), or "Radeon … Graphics" without a discrete series mark.
    static func isIntegratedGPUName(_ name: String) -> Bool {
        let lower = name.lowercased()
        if lower.contains("(integrated)") || isAMDMobileIGPUName(name) { return true }
        if lower.contains("intel") {
            return lower.contains("uhd") || lower.contains("hd graphics")
                || (lower.contains("iris") && !lower.contains("arc"))
        }
        if lower.contains("radeon") && lower.contains("graphics") {
            return !["rx ", "pro ", "vega", " vii", " w"].contains(where: lower.contains)
        }
        return false
    }

    /// "Radeon" with a three-digit model ending in M and no RX ("Radeon 780M Graphics").
    static func isAMDMobileIGPUName(_ name: String) -> Bool {
        let lower = name.lowercased()
        guard lower.contains("radeon"), !lower.contains("rx") else { return false }
        return lower.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }).contains { token in
            token.count == 4 && token.hasSuffix("m") && token.dropLast().allSatisfy(\.isNumber)
        }
    }

    /// Integrated by name, except a generic AMD "Radeon Graphics" name with 8 GiB or more of its
    /// own (an Instinct card reporting a generic name), unless it is a mobile iGPU.
    static func isIntegratedGPU(name: String, vramGB: Double?) -> Bool {
        guard isIntegratedGPUName(name) else { return false }
        if isAMDMobileIGPUName(name) { return true }
        let lower = name.lowercased()
        let amdGeneric = lower.contains("radeon") && !lower.contains("(integrated)")
        return !(amdGeneric && (vramGB ?? 0) >= 8)
    }

    /// The detected cards as the analysis takes them. On an AMD Ryzen AI MAX APU (Strix Halo) the
    /// first AMD card (or, without one, a card named after the CPU) shares all of RAM, and a
    /// generic name ("AMD GPU", "AMD Radeon Graphics", …) becomes "<CPU> (integrated)". NVIDIA
    /// parts that share the system's memory (GB10/GB20, their PCI id, `nvgpu` Jetsons, or an `ATS`
    /// addressing mode) get all of RAM as their memory. Integrated GPUs are marked so (the pool
    /// drops them beside a discrete card).
    public static func settle(_ gpus: [GPU], totalRAMGB: Double, cpuName: String = "") -> [GPU] {
        var gpus = gpus
        if cpuName.lowercased().contains("ryzen ai max") {
            if let index = gpus.firstIndex(where: {
                $0.name.lowercased().contains("amd") || $0.name.lowercased().contains("radeon")
            }) {
                gpus[index].unifiedMemory = true
                gpus[index].vramGB = totalRAMGB
                gpus[index].freeVRAMGB = nil
                let generic = ["amd gpu", "amd/ati", "radeon graphics", "amd radeon graphics"]
                if generic.contains(gpus[index].name.trimmingCharacters(in: " \t").lowercased()) {
                    gpus[index].name = "\(cpuName) (integrated)"
                }
            } else {
                gpus.append(
                    GPU(name: "\(cpuName) (integrated)", vramGB: totalRAMGB, backend: .vulkan, unifiedMemory: true))
            }
        }
        return gpus.map { gpu in
            var gpu = gpu
            if gpu.backend == .cuda && (gpu.unifiedMemory || GPUFacts.isNVIDIAUnifiedMemory(gpu.name)) {
                gpu.unifiedMemory = true
                gpu.vramGB = totalRAMGB > 0 ? totalRAMGB : gpu.vramGB
                gpu.freeVRAMGB = nil
            }
            if isIntegratedGPU(name: gpu.name, vramGB: gpu.vramGB) { gpu.integrated = true }
            return gpu
        }
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

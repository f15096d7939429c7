import BatonPlatform

/// What is known of GPUs by name (llmfit's tables): memory bandwidth for the speed estimate and
/// NVIDIA compute capability for the pre-quantised formats' kernels. Names match as
/// case-insensitive substrings, the first entry that matches wins, so specific names come first.
public enum GPUFacts {
    /// GB/s.
    static let bandwidth: [(String, Double)] = [
        // NVIDIA GeForce
        ("5090", 1792), ("5080", 960), ("5070 ti", 896), ("5070", 672), ("5060 ti", 448), ("5060", 256),
        ("4090", 1008), ("4080 super", 736), ("4080", 717), ("4070 ti super", 672), ("4070 ti", 504),
        ("4070 super", 504), ("4070", 504), ("4060 ti", 288), ("4060", 272),
        ("3090 ti", 1008), ("3090", 936), ("3080 ti", 912), ("3080", 760), ("3070 ti", 608), ("3070", 448),
        ("3060 ti", 448), ("3060", 360),
        ("2080 ti", 616), ("2080 super", 496), ("2080", 448), ("2070 super", 448), ("2070", 448),
        ("2060 super", 448), ("2060", 336),
        ("1660 ti", 288), ("1660 super", 336), ("1660", 192), ("1650 super", 192), ("1650", 128),
        // NVIDIA data centre and workstation
        ("h100 sxm", 3350), ("h100", 2039), ("h200", 4800), ("a100 sxm", 2039), ("a100", 1555), ("l40s", 864),
        ("l40", 864), ("l4", 300), ("a10g", 600), ("a10", 600), ("t4", 320), ("v100 sxm", 900), ("v100", 897),
        ("a6000", 768), ("a5000", 768), ("a4000", 448),
        // AMD unified-memory APUs (Strix Halo)
        ("8060s", 256), ("8050s", 256), ("strix halo", 256), ("ryzen ai max", 256),
        // AMD Radeon
        ("9070 xt", 624), ("9070", 488), ("7900 xtx", 960), ("7900 xt", 800), ("7900 gre", 576),
        ("7800 xt", 624), ("7700 xt", 432), ("7600", 288), ("6950 xt", 576), ("6900 xt", 512),
        ("6800 xt", 512), ("6800", 512), ("6700 xt", 384), ("6600 xt", 256), ("6600", 224),
        // AMD Instinct
        ("mi300x", 5300), ("mi300", 5300), ("mi250x", 3277), ("mi250", 3277), ("mi210", 1638), ("mi100", 1229),
        // Apple
        ("m5 max", 614), ("m5 pro", 307), ("m5", 153.6), ("m4 ultra", 819), ("m4 max", 546), ("m4 pro", 273),
        ("m4", 120), ("m3 ultra", 800), ("m3 max", 400), ("m3 pro", 150), ("m3", 100), ("m2 ultra", 800),
        ("m2 max", 400), ("m2 pro", 200), ("m2", 100), ("m1 ultra", 800), ("m1 max", 400), ("m1 pro", 200),
        ("m1", 68),
    ]

    /// The bandwidth table's names as bytes, for a plain byte search (the system object names
    /// each card's bandwidth on every request; `String.contains` costs a microsecond a call).
    static let bandwidthBytes: [([UInt8], Double)] = bandwidth.map { (Array($0.0.utf8), $0.1) }

    /// The memory bandwidth of a GPU by name, GB/s; nil when it is not in the table.
    public static func bandwidthGBps(gpuName: String) -> Double? {
        let lower = Array(gpuName.lowercased().utf8)
        return bandwidthBytes.first { contains(lower, $0.0) }?.1
    }

    /// Whether `needle` occurs in `haystack`, byte for byte.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        StringSearch.firstOffset(of: needle, in: haystack, from: 0) != nil
    }

    /// (major, minor) by family, newest first.
    static let computeCapability: [([String], (Int, Int))] = [
        (["5090", "5080", "5070", "5060", "b200", "b100", "gb200", "gb100"], (10, 0)),
        (["h100", "h200"], (9, 0)),
        (["4090", "4080", "4070", "4060", "l40", "l4"], (8, 9)),
        (["a100"], (8, 0)),
        (["3090", "3080", "3070", "3060", "a10", "a6000", "a5000", "a4000", "a2000", "a16"], (8, 6)),
        (["2080", "2070", "2060", "1660", "1650", "t4"], (7, 5)),
        (["v100", "titan v"], (7, 0)),
        (["p100", "1080", "1070", "1060", "1050", "p40", "p4"], (6, 1)),
    ]

    /// An NVIDIA GPU's compute capability by name; nil when not known.
    static func computeCapability(gpuName: String) -> (Int, Int)? {
        let lower = gpuName.lowercased()
        return computeCapability.first { $0.0.contains(where: lower.contains) }?.1
    }

    /// The least compute capability vLLM's kernels for a pre-quantised format need (AWQ and
    /// GPTQ: Turing); nil for formats without a known floor.
    static func minimumComputeCapability(quantization: String) -> (Int, Int)? {
        switch quantization {
        case "AWQ-4bit", "AWQ-8bit", "GPTQ-Int4", "GPTQ-Int8": (7, 5)
        default: nil
        }
    }

    /// GB10/GB20 (DGX Spark, Grace Blackwell), their PCI id, and Jetson-class `nvgpu` parts:
    /// NVIDIA GPUs that share the system's memory.
    static func isNVIDIAUnifiedMemory(_ gpuName: String) -> Bool {
        let lower = gpuName.lowercased()
        return ["gb10", "gb20", "2e12", "nvgpu"].contains(where: lower.contains)
    }
}

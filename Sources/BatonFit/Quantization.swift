/// Quantisation facts: memory, speed and quality per level.
public enum Quantization {
    /// Tried best first when choosing a quantisation.
    public static let ladder = ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K"]

    public static func bytesPerParameter(_ quant: String) -> Double {
        // The ladder's names as written, without building an upper-cased copy (hot path).
        switch quant {
        case "Q8_0": return 1.05
        case "Q6_K": return 0.80
        case "Q5_K_M": return 0.68
        case "Q4_K_M": return 0.58
        case "Q3_K_M": return 0.48
        case "Q2_K": return 0.37
        default: break
        }
        return switch quant.uppercased() {
        case "Q8_0": 1.05
        case "Q6_K": 0.80
        case "Q5_K_M": 0.68
        case "Q4_K_M", "Q4_0": 0.58
        case "Q3_K_M": 0.48
        case "Q2_K": 0.37
        case "F16", "BF16": 2.0
        case "F32": 4.0
        case "AWQ-4BIT", "GPTQ-INT4", "GPTQ-4BIT", "AUTOROUND-4BIT": 0.5
        case "AWQ-8BIT", "GPTQ-INT8", "GPTQ-8BIT": 1.0
        case "MLX-4BIT": 0.55
        case "MLX-8BIT": 1.0
        default: 0.58
        }
    }

    /// The bit level a quantisation name stands for (4 when unknown).
    static func bits(_ quant: String) -> Int {
        switch quant {
        case "Q8_0": return 8
        case "Q6_K": return 6
        case "Q5_K_M": return 5
        case "Q4_K_M", "Q4_0": return 4
        case "Q3_K_M": return 3
        case "Q2_K": return 2
        default: break
        }
        let q = quant.uppercased()
        if q.hasPrefix("F32") { return 32 }
        if q.hasPrefix("F16") || q.hasPrefix("BF16") { return 16 }
        for bits in [8, 6, 5, 4, 3, 2]
        where q.hasPrefix("Q\(bits)") || q.contains("\(bits)BIT") || q.contains("INT\(bits)") {
            return bits
        }
        return 4
    }

    /// Bytes read per parameter per token, for the bandwidth estimate.
    static func speedBytesPerParameter(bits: Int) -> Double {
        switch bits {
        case 32: 4.0
        case 16: 2.0
        case 8: 1.0
        case 6: 0.75
        case 5: 0.625
        case 3: 0.375
        case 2: 0.25
        default: 0.5
        }
    }

    static func speedMultiplier(bits: Int) -> Double {
        switch bits {
        case 16, 32: 0.6
        case 8: 0.8
        case 6: 0.95
        case 5: 1.0
        case 3: 1.25
        case 2: 1.35
        default: 1.15
        }
    }

    static func qualityPenalty(bits: Int) -> Double {
        switch bits {
        case 8, 16, 32: 0
        case 6: -1
        case 5: -2
        case 3: -8
        case 2: -12
        default: -5
        }
    }
}

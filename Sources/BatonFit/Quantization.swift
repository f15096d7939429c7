/// Quantisation facts (llmfit's tables): memory, speed and quality per quantisation name. Names
/// are matched exactly as the catalog spells them; an unknown name takes each table's default.
public enum Quantization {
    /// Tried best first when choosing a quantisation for llama.cpp.
    public static let ladder = ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K"]
    /// Tried best first on MLX (then the ladder above).
    public static let mlxLadder = ["mlx-8bit", "mlx-4bit"]
    /// Tried best first for ONNX models, whatever the runtime.
    public static let onnxLadder = ["Q8_0", "Q4_0"]

    /// The unsloth dynamic ("UD-") variants of a K-quant level: `UD-Q4_K_XL` is level 4.
    static func dynamicLevel(_ quant: String) -> Int? {
        guard quant.hasPrefix("UD-Q"), quant.count >= 9 else { return nil }
        let rest = quant.dropFirst(4)
        guard let level = rest.first?.wholeNumberValue, [2, 3, 4, 5, 6, 8].contains(level) else { return nil }
        return ["_K_XL", "_K_L", "_K_M", "_K_S"].contains(String(rest.dropFirst())) ? level : nil
    }

    /// Memory per parameter, bytes: what the weights take.
    public static func bytesPerParameter(_ quant: String) -> Double {
        switch quant {
        case "F32": return 4.0
        case "F16", "BF16": return 2.0
        case "Q8_0": return 1.05
        case "Q6_K": return 0.80
        case "Q5_K_M": return 0.68
        case "Q4_K_M", "Q4_0": return 0.58
        case "Q3_K_M": return 0.48
        case "Q2_K": return 0.37
        case "mlx-4bit": return 0.55
        case "mlx-8bit": return 1.0
        case "AWQ-4bit", "GPTQ-Int4": return 0.5
        case "AWQ-8bit", "GPTQ-Int8": return 1.0
        default: break
        }
        switch dynamicLevel(quant) {
        case 2: return 0.37
        case 3: return 0.48
        case 4: return 0.58
        case 5: return 0.68
        case 6: return 0.80
        case 8: return 1.05
        default: return 0.58
        }
    }

    /// Bytes read per parameter per token, for the bandwidth estimate.
    static func speedBytesPerParameter(_ quant: String) -> Double {
        switch quant {
        case "F16", "BF16": return 2.0
        case "Q8_0": return 1.0
        case "Q6_K": return 0.75
        case "Q5_K_M": return 0.625
        case "Q4_K_M", "Q4_0": return 0.5
        case "Q3_K_M": return 0.375
        case "Q2_K": return 0.25
        case "mlx-4bit": return 0.5
        case "mlx-8bit": return 1.0
        case "AWQ-4bit", "GPTQ-Int4", "AutoRound-4bit": return 0.5
        case "AWQ-8bit", "GPTQ-Int8", "AutoRound-8bit": return 1.0
        default: break
        }
        switch dynamicLevel(quant) {
        case 2: return 0.25
        case 3: return 0.375
        case 5: return 0.625
        case 6: return 0.75
        case 8: return 1.0
        default: return 0.5
        }
    }

    /// How much faster than Q5 a quantisation runs on the backend-constant estimate.
    static func speedMultiplier(_ quant: String) -> Double {
        switch quant {
        case "F16", "BF16": return 0.6
        case "Q8_0": return 0.8
        case "Q6_K": return 0.95
        case "Q5_K_M": return 1.0
        case "Q4_K_M", "Q4_0": return 1.15
        case "Q3_K_M": return 1.25
        case "Q2_K": return 1.35
        case "mlx-4bit": return 1.15
        case "mlx-8bit": return 0.85
        case "AWQ-4bit", "GPTQ-Int4", "AutoRound-4bit": return 1.2
        case "AWQ-8bit", "GPTQ-Int8", "AutoRound-8bit": return 0.85
        default: break
        }
        switch dynamicLevel(quant) {
        case 2: return 1.35
        case 3: return 1.25
        case 4: return 1.15
        case 5: return 1.0
        case 6: return 0.95
        case 8: return 0.8
        default: return 1.0
        }
    }

    /// Quality points a quantisation costs.
    static func qualityPenalty(_ quant: String) -> Double {
        switch quant {
        case "F16", "BF16", "Q8_0", "mlx-8bit", "AWQ-8bit", "GPTQ-Int8", "AutoRound-8bit": return 0
        case "Q6_K": return -1
        case "Q5_K_M": return -2
        case "Q4_K_M", "Q4_0": return -5
        case "Q3_K_M": return -8
        case "Q2_K": return -12
        case "mlx-4bit": return -4
        case "AWQ-4bit", "GPTQ-Int4", "AutoRound-4bit": return -3
        default: break
        }
        switch dynamicLevel(quant) {
        case 2: return -12
        case 3: return -8
        case 5: return -2
        case 6: return -1
        case 8: return 0
        default: return -5
        }
    }
}

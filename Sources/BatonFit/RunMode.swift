public enum RunMode: String, Sendable {
    case gpu
    case moeOffload = "moe_offload"
    case cpuOffload = "cpu_offload"
    case cpuOnly = "cpu_only"

    public var label: String {
        switch self {
        case .gpu: "GPU"
        case .moeOffload: "MoE"
        case .cpuOffload: "CPU+GPU"
        case .cpuOnly: "CPU"
        }
    }

    /// How much of the full speed each mode keeps.
    var speedFactor: Double {
        switch self {
        case .gpu: 1.0
        case .moeOffload: 0.8
        case .cpuOffload: 0.5
        case .cpuOnly: 0.3
        }
    }
}

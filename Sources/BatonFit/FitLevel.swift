public enum FitLevel: String, Sendable, CaseIterable, Comparable {
    case perfect, good, marginal
    case tooTight = "too_tight"

    public var label: String {
        switch self {
        case .perfect: "Perfect"
        case .good: "Good"
        case .marginal: "Marginal"
        case .tooTight: "Too Tight"
        }
    }

    /// perfect > good > marginal > too_tight.
    var rank: Int {
        switch self {
        case .perfect: 3
        case .good: 2
        case .marginal: 1
        case .tooTight: 0
        }
    }

    public static func < (a: FitLevel, b: FitLevel) -> Bool { a.rank < b.rank }
}

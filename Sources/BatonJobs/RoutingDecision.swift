import BatonJSON

/// Why a worker could not take a job.
public enum Rejection: String, Sendable, CaseIterable {
    case offline, paused, provider, tags, capacity, model

    /// Position in `allCases`, for counting into a plain array.
    var index: Int {
        switch self {
        case .offline: 0
        case .paused: 1
        case .provider: 2
        case .tags: 3
        case .capacity: 4
        case .model: 5
        }
    }

    public var sentence: String {
        switch self {
        case .offline: "offline (no recent heartbeat)"
        case .paused: "paused"
        case .provider: "does not serve the job's provider"
        case .tags: "lacks some of the job's tags"
        case .capacity: "at capacity"
        case .model: "cannot run the job's model"
        }
    }
}

/// The router's choice and its reasons: stored on the job as `routing`.
public struct RoutingDecision: Sendable, Equatable {
    public static let listedRejections = 50

    public var winner: String?
    public var score: Double
    /// Weighted points per component, summing to `score`.
    public var components: [String: Double]
    public var candidates: Int
    public var eligible: Int
    /// The first `listedRejections` rejected workers (by name) and why.
    public var rejected: [(worker: String, reason: Rejection)]
    public var rejectedByReason: [Rejection: Int]

    public static func == (a: RoutingDecision, b: RoutingDecision) -> Bool {
        a.winner == b.winner && a.score == b.score && a.components == b.components && a.candidates == b.candidates
            && a.eligible == b.eligible && a.rejected.map(\.worker) == b.rejected.map(\.worker)
            && a.rejected.map(\.reason) == b.rejected.map(\.reason) && a.rejectedByReason == b.rejectedByReason
    }

    public var rejectedTotal: Int { rejectedByReason.values.reduce(0, +) }

    public func json(decidedAt: String) -> JSONValue {
        var counts: [String: JSONValue] = [:]
        for (reason, n) in rejectedByReason { counts[reason.rawValue] = .int(Int64(n)) }
        return [
            "worker": winner.map(JSONValue.string) ?? .null, "score": .double(RoutingDecision.round(score)),
            "components": .object(components.mapValues { .double(RoutingDecision.round($0)) }),
            "candidates": .int(Int64(candidates)), "eligible": .int(Int64(eligible)),
            "rejected": .array(
                rejected.map { ["worker": .string($0.worker), "reason": .string($0.reason.rawValue)] }),
            "rejected_total": .int(Int64(rejectedTotal)), "rejected_by_reason": .object(counts),
            "decided_at": .string(decidedAt),
        ]
    }

    /// Rejections as `details` of a 503: worker name → reason sentence.
    public var rejectionDetails: [String: String] {
        var out: [String: String] = [:]
        for (worker, reason) in rejected { out[worker] = reason.sentence }
        return out
    }

    static func round(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}

import BatonWorkerProtocol
import Testing

@testable import BatonCore
@testable import BatonJobs

@Suite struct JobRouterTests {
    static let now: Int64 = 1_800_000_000_000
    static let stale: Int64 = 15_000

    static func worker(
        _ name: String, provider: String = "claude", tags: [String] = [], capacity: Int = 1, active: Int = 0,
        paused: Bool = false, heartbeatAgoMs: Int64 = 1000, models: [WorkerModel] = [],
        topModels: [WorkerModel] = [], completed: Int = 0, failed: Int = 0
    ) -> WorkerEntry {
        WorkerEntry(
            report: PresenceReport(
                instance: name, tags: tags, provider: provider, capacity: capacity, models: models,
                topModels: topModels),
            paused: paused, lastHeartbeatMs: now - heartbeatAgoMs, firstSeenAt: "", active: active,
            completed: completed, failed: failed)
    }

    func route(_ request: RoutingRequest, _ workers: [WorkerEntry], weights: RouterWeights = RouterWeights())
        -> RoutingDecision
    {
        JobRouter.route(request, among: workers, weights: weights, now: Self.now, staleAfterMs: Self.stale)
    }

    @Test func eachRejectionReasonIsNamed() {
        let workers = [
            Self.worker("a-offline", heartbeatAgoMs: 20_000),
            Self.worker("b-paused", paused: true),
            Self.worker("c-provider", provider: "ollama"),
            Self.worker("d-tags", tags: ["code"]),
            Self.worker("e-full", tags: ["summarize"], active: 1),
            Self.worker("f-model", tags: ["summarize"], models: [WorkerModel(name: "other")]),
            Self.worker("g-tight", tags: ["summarize"], models: [WorkerModel(name: "haiku", fit: "too_tight")]),
        ]
        let decision = route(
            RoutingRequest(provider: "claude", model: "haiku", tier: .medium, tags: ["summarize"]), workers)
        #expect(decision.winner == nil)
        #expect(decision.candidates == 7)
        #expect(decision.eligible == 0)
        #expect(decision.rejected.map(\.worker) == workers.map(\.instance))
        #expect(decision.rejected.map(\.reason) == [.offline, .paused, .provider, .tags, .capacity, .model, .model])
        #expect(decision.rejectedByReason[.model] == 2)
        #expect(decision.rejectionDetails["b-paused"] == "paused")
    }

    /// A node's own analysis scores the model-fit component; a model it does not rank is neutral,
    /// and a ranking never makes a worker ineligible (it is a sample, not what the worker serves).
    @Test func topModelsScoreTheModelFitComponent() {
        let ranked = Self.worker(
            "ranked",
            topModels: [
                WorkerModel(name: "qwen-7b", score: 90, fit: "perfect"), WorkerModel(name: "x", score: 40, fit: "good"),
            ])
        let plain = Self.worker("plain")
        let request = RoutingRequest(provider: "claude", model: "qwen-7b", tier: .medium, tags: [])
        let decision = route(request, [plain, ranked])
        #expect(decision.winner == "ranked" && decision.eligible == 2)
        #expect(abs((decision.components["model_fit"] ?? 0) - 13.5) < 1e-9)  // 0.90 · 15
        // Another model: both neutral (7.5), so the name breaks the tie.
        let other = route(
            RoutingRequest(provider: "claude", model: "llama-70b", tier: .medium, tags: []), [ranked, plain])
        #expect(other.eligible == 2 && other.winner == "plain" && other.components["model_fit"] == 7.5)
        // A served model's own score comes before the node's ranking of it.
        let both = Self.worker(
            "both", models: [WorkerModel(name: "qwen-7b", score: 20)],
            topModels: [WorkerModel(name: "qwen-7b", score: 90)])
        #expect(route(request, [both]).components["model_fit"] == 3)
    }

    @Test func headroomWinsAndComponentsSumToTheScore() {
        let decision = route(
            RoutingRequest(provider: "claude", model: nil, tier: .medium, tags: []),
            [Self.worker("busy", capacity: 4, active: 3), Self.worker("free", capacity: 4, active: 0)])
        #expect(decision.winner == "free")
        #expect(decision.eligible == 2)
        #expect(decision.components["headroom"] == 35)
        let sum = decision.components.values.reduce(0, +)
        #expect(abs(sum - decision.score) < 1e-9)
        // free: 35 headroom + 20 tier + 15 specialisation (no tags on either side) + 7.5 neutral
        // model fit + 5 reliability (no history: 1/2) + 0 stickiness.
        #expect(abs(decision.score - 82.5) < 1e-9)
    }

    @Test func tiesGoToLowerLoadThenName() {
        let request = RoutingRequest(provider: "claude", model: nil, tier: .medium, tags: [])
        #expect(route(request, [Self.worker("b"), Self.worker("a")]).winner == "a")
        #expect(route(request, [Self.worker("a"), Self.worker("b")]).winner == "a")
        // Same score (headroom equal as a fraction), lower load first.
        let loaded = Self.worker("a", capacity: 2, active: 1)
        let light = Self.worker("z", capacity: 2, active: 1)
        #expect(route(request, [loaded, light]).winner == "a")
        let a = Self.worker("a", capacity: 4, active: 2)
        let z = Self.worker("z", capacity: 2, active: 1)
        #expect(route(request, [a, z]).winner == "z")
    }

    @Test func tierSpecialisationModelFitReliabilityAndStickinessCount() {
        let base = RoutingRequest(provider: "claude", model: nil, tier: .low, tags: ["code"])
        #expect(
            route(base, [Self.worker("mid", tags: ["code"]), Self.worker("eco", tags: ["code", "economy"])])
                .winner == "eco")
        let special = RoutingRequest(provider: "claude", model: nil, tier: .medium, tags: ["code"])
        #expect(
            route(
                special, [Self.worker("wide", tags: ["code", "a", "b", "c"]), Self.worker("narrow", tags: ["code"])]
            )
            .winner == "narrow")
        let model = RoutingRequest(provider: "claude", model: "m", tier: .medium, tags: [])
        #expect(
            route(
                model,
                [
                    Self.worker("weak", models: [WorkerModel(name: "m", score: 40)]),
                    Self.worker("strong", models: [WorkerModel(name: "m", score: 95)]),
                ]
            ).winner == "strong")
        #expect(
            route(
                base,
                [Self.worker("flaky", tags: ["code"], failed: 5), Self.worker("solid", tags: ["code"], completed: 5)]
            )
            .winner == "solid")
        var sticky = base
        sticky.previousWorker = "z-warm"
        #expect(
            route(sticky, [Self.worker("a-cold", tags: ["code"]), Self.worker("z-warm", tags: ["code"])]).winner
                == "z-warm")
    }

    @Test func weightsComeFromConfigAndScoreStaysWithin100() {
        var weights = RouterWeights(config: [
            "router": [
                "weights": [
                    "headroom": 0, "tier": 0, "specialisation": 0, "model_fit": 0, "reliability": 1, "stickiness": 0,
                ]
            ]
        ])
        #expect(weights.headroom == 0 && weights.reliability == 1)
        let decision = route(
            RoutingRequest(provider: "claude", model: nil, tier: .medium, tags: []),
            [Self.worker("busy", capacity: 4, active: 3, completed: 9), Self.worker("free", capacity: 4)],
            weights: weights)
        #expect(decision.winner == "busy")
        #expect(decision.score <= 100)
        weights = RouterWeights()
        #expect(weights.total == 100)
    }

    @Test func providersListAndUnreportedModelsAreEligible() {
        var multi = Self.worker("multi", provider: "ollama")
        multi.update(PresenceReport(instance: "multi", provider: "ollama", providers: ["claude"]))
        let decision = route(RoutingRequest(provider: "claude", model: "haiku", tier: .medium, tags: []), [multi])
        #expect(decision.winner == "multi")
    }

    @Test func rejectionListIsCappedButCountsAreComplete() {
        let workers = (0..<120).map { Self.worker(String(format3($0)), paused: true) }
        let decision = route(RoutingRequest(provider: "claude", model: nil, tier: .medium, tags: []), workers)
        #expect(decision.rejected.count == RoutingDecision.listedRejections)
        #expect(decision.rejectedTotal == 120)
        #expect(decision.rejected.first?.worker == "000")
    }

    @Test func workerTierComesFromTags() {
        #expect(WorkerEntry.tier(of: ["code", "economy"]) == .low)
        #expect(WorkerEntry.tier(of: ["tier:high"]) == .high)
        #expect(WorkerEntry.tier(of: ["code"]) == .medium)
    }
}

private func format3(_ n: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, 3 - s.count)) + s
}

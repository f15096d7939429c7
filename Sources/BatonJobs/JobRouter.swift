import BatonCore
import BatonJSON

/// Picks the best worker for a job: pure, so it is tested without a server and benchmarked alone.
public enum JobRouter {
    /// Eligible workers are online, not paused, serve the provider, carry every job tag, have a
    /// free slot, and (when they list models) can run the job's model. The highest score wins;
    /// ties go to the lower load, then the name that sorts first.
    public static func route(
        _ request: RoutingRequest, among workers: [WorkerEntry], weights: RouterWeights, now: Int64, staleAfterMs: Int64
    ) -> RoutingDecision {
        route(request, in: WorkerTable(workers), weights: weights, now: now, staleAfterMs: staleAfterMs)
    }

    public static func route(
        _ request: RoutingRequest, in table: WorkerTable, weights: RouterWeights, now: Int64, staleAfterMs: Int64
    ) -> RoutingDecision {
        var decision = RoutingDecision(
            winner: nil, score: 0, components: [:], candidates: table.count, eligible: 0, rejected: [],
            rejectedByReason: [:])
        var rejectedCounts = [Int](repeating: 0, count: Rejection.allCases.count)
        var best: (score: Double, index: Int)?
        let total = weights.total > 0 ? weights.total : 1
        let filter = RequestFilter(request)
        // Index through the buffers: each worker is read in place, never copied (with its strings,
        // arrays and set) the way a for-in over a collection of structs would.
        table.entries.withUnsafeBufferPointer { entries in
            table.routingKeys.withUnsafeBufferPointer { keys in
                for i in keys.indices {
                    if let reason = rejection(
                        keys[i], entries[i], for: request, filter, now: now, staleAfterMs: staleAfterMs)
                    {
                        rejectedCounts[reason.index] += 1
                        if decision.rejected.count < RoutingDecision.listedRejections {
                            decision.rejected.append((entries[i].instance, reason))
                        }
                        continue
                    }
                    decision.eligible += 1
                    let score = weightedSum(entries[i], request, weights) * 100 / total
                    if let current = best {
                        let better =
                            score > current.score
                            || (score == current.score
                                && (keys[i].active < keys[current.index].active
                                    || (keys[i].active == keys[current.index].active
                                        && entries[i].instance < entries[current.index].instance)))
                        if !better { continue }
                    }
                    best = (score, i)
                }
            }
        }
        for reason in Rejection.allCases where rejectedCounts[reason.index] > 0 {
            decision.rejectedByReason[reason] = rejectedCounts[reason.index]
        }
        // The list of rejections is in name order so the explanation reads the same every time.
        decision.rejected.sort { $0.worker < $1.worker }
        if let best {
            let winner = table.entries[best.index]
            decision.winner = winner.instance
            decision.score = best.score
            decision.components = components(winner, request, weights).mapValues { $0 * 100 / total }
        }
        return decision
    }

    /// A job's names as Bloom bits, computed once per decision.
    struct RequestFilter {
        var provider: UInt64
        var tags: UInt64
        var model: UInt64

        init(_ request: RoutingRequest) {
            provider = NameBloom.bit(request.provider)
            tags = NameBloom.of(request.tags)
            model = request.model.map(NameBloom.bit) ?? 0
        }
    }

    public static func rejection(of worker: WorkerEntry, for request: RoutingRequest, now: Int64, staleAfterMs: Int64)
        -> Rejection?
    {
        rejection(
            RoutingKey(worker), worker, for: request, RequestFilter(request), now: now, staleAfterMs: staleAfterMs)
    }

    /// The plain-value key answers most rejections; strings are compared only where its Bloom
    /// bits cannot rule a worker out.
    @inline(__always)
    static func rejection(
        _ key: RoutingKey, _ worker: WorkerEntry, for request: RoutingRequest, _ filter: RequestFilter, now: Int64,
        staleAfterMs: Int64
    ) -> Rejection? {
        if key.offline || now - key.lastHeartbeatMs >= staleAfterMs { return .offline }
        if key.paused { return .paused }
        if key.providers & filter.provider == 0
            || (worker.report.provider != request.provider && !worker.report.providers.contains(request.provider))
        {
            return .provider
        }
        if filter.tags & ~key.tags != 0 { return .tags }
        for tag in request.tags where !worker.tagSet.contains(tag) { return .tags }
        if key.active >= key.capacity { return .capacity }
        if let model = request.model, key.listsModels {
            guard key.models & filter.model != 0, let entry = worker.report.models.first(where: { $0.name == model }),
                entry.runnable
            else { return .model }
        }
        return nil
    }

    /// Each component in 0…1, multiplied by its weight.
    static func components(_ worker: WorkerEntry, _ request: RoutingRequest, _ w: RouterWeights) -> [String: Double] {
        let c = raw(worker, request)
        return [
            "headroom": c.headroom * w.headroom, "tier": c.tier * w.tier,
            "specialisation": c.specialisation * w.specialisation, "model_fit": c.modelFit * w.modelFit,
            "reliability": c.reliability * w.reliability, "stickiness": c.stickiness * w.stickiness,
        ]
    }

    static func weightedSum(_ worker: WorkerEntry, _ request: RoutingRequest, _ w: RouterWeights) -> Double {
        let c = raw(worker, request)
        return c.headroom * w.headroom + c.tier * w.tier + c.specialisation * w.specialisation + c.modelFit
            * w.modelFit + c.reliability * w.reliability + c.stickiness * w.stickiness
    }

    static func raw(_ worker: WorkerEntry, _ request: RoutingRequest) -> (
        headroom: Double, tier: Double, specialisation: Double, modelFit: Double, reliability: Double,
        stickiness: Double
    ) {
        let capacity = Double(max(1, worker.report.capacity))
        let headroom = max(0, capacity - Double(worker.active)) / capacity
        let tier = 1 - Double(abs(request.tier.rank - worker.tier.rank)) / 2
        // A worker whose tags are just what the job needs is a specialist; a generalist scores less.
        let specialisation = Double(request.tags.count + 1) / Double(worker.tagSet.count + 1)
        // The score the worker gave the model it serves, else its node's analysis of it; neutral
        // when neither knows the model.
        var modelFit = 0.5
        if let model = request.model,
            let score = worker.report.models.first(where: { $0.name == model })?.score
                ?? worker.report.topModels.first(where: { $0.name == model })?.score
        {
            modelFit = score / 100
        }
        let reliability = Double(worker.completed + 1) / Double(worker.completed + worker.failed + 2)
        let stickiness = request.previousWorker == worker.instance ? 1.0 : 0.0
        return (headroom, tier, min(1, specialisation), modelFit, reliability, stickiness)
    }
}

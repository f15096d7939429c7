import BatonCore
import BatonJobs
import BatonWorkerProtocol

/// The router's decision time among many online workers, as the dispatcher calls it.
enum RouterBench {
    static func run(workers count: Int, decisions: Int) {
        let now: Int64 = 1_800_000_000_000
        var generator = SplitMix(seed: 42)
        let tagPool = ["code", "draft", "economy", "premium", "gpu", "summarize", "review", "docs"]
        let providers = ["claude", "ollama", "openai", "dry-run"]
        // Contiguous, as the dispatcher's per-tenant worker table keeps them.
        var workers: [WorkerEntry] = []
        for i in 0..<count {
            let tags = tagPool.filter { _ in generator.next() % 3 == 0 }
            let capacity = Int(generator.next() % 8) + 1
            let report = PresenceReport(
                instance: "worker-\(i)", tags: tags, provider: providers[Int(generator.next() % 4)],
                capacity: capacity,
                models: [WorkerModel(name: "haiku", score: Double(generator.next() % 100))])
            workers.append(
                WorkerEntry(
                    report: report, lastHeartbeatMs: now - Int64(generator.next() % 10_000), firstSeenAt: "",
                    active: Int(generator.next() % UInt64(capacity)), completed: Int(generator.next() % 50),
                    failed: Int(generator.next() % 5)))
        }
        let table = WorkerTable(workers)
        var times: [Double] = []
        times.reserveCapacity(decisions)
        var winners = 0
        let clock = ContinuousClock()
        for i in 0..<decisions {
            let request = RoutingRequest(
                provider: providers[i % 4], model: i % 2 == 0 ? "haiku" : nil, tier: .medium,
                tags: i % 3 == 0 ? ["code"] : [])
            let started = clock.now
            let decision = JobRouter.route(
                request, in: table, weights: RouterWeights(), now: now, staleAfterMs: 15_000)
            let elapsed = clock.now - started
            if decision.winner != nil { winners += 1 }
            times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        times.sort()
        func at(_ q: Double) -> Double { times[min(times.count - 1, Int(Double(times.count) * q))] }
        let mean = times.reduce(0, +) / Double(times.count)
        print(
            "router: \(count) workers, \(decisions) decisions (\(winners) placed): median \(fmt(at(0.5))) ms, p99 \(fmt(at(0.99))) ms, mean \(fmt(mean)) ms"
        )
    }

    static func fmt(_ ms: Double) -> String {
        let scaled = (ms * 1000).rounded() / 1000
        return String(scaled)
    }
}

/// A small deterministic generator, so every run routes over the same fleet.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

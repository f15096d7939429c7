import BatonFit

/// The node API's analysis in isolation: the whole catalog analysed, filtered and sorted for one
/// `/api/v1/models/top` request on a fixed machine.
enum FitBench {
    static func run(requests: Int) {
        let system = SystemSpecs(
            totalRAMGB: 64, availableRAMGB: 48, cpuCores: 16, cpuName: "bench",
            gpus: [GPU(name: "NVIDIA GeForce RTX 4090", vramGB: 24, backend: .cuda)])
        let catalog = Catalog.models
        var times: [Double] = []
        let clock = ContinuousClock()
        var returned = 0
        for _ in 0..<requests {
            let started = clock.now
            let (models, _) = ModelQuery.top.run(on: system, catalog: catalog)
            let elapsed = clock.now - started
            returned += models.count
            times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        times.sort()
        func at(_ q: Double) -> Double { times[min(times.count - 1, Int(Double(times.count) * q))] }
        print(
            "fit: \(catalog.count) models analysed per request, \(requests) requests (\(returned / max(1, requests)) returned each): median \(RouterBench.fmt(at(0.5))) ms, p99 \(RouterBench.fmt(at(0.99))) ms"
        )
    }
}

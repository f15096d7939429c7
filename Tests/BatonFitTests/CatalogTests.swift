import BatonTestSupport
import Testing

@testable import BatonFit

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct CatalogTests {
    /// The embedded catalog (scripts/make-catalog.py output) parses whole.
    @Test func theEmbeddedCatalogHoldsAtLeast1500Models() throws {
        let models = try Catalog.parse(EmbeddedResources.catalogJSON)
        #expect(models.count >= 1500)
        #expect(Catalog.models.count == models.count)
        #expect(Set(models.map(\.name)).count == models.count)
        #expect(models.map(\.name) == models.map(\.name).sorted())
        #expect(models.contains { $0.isMoE && ($0.activeParamsB ?? 0) > 0 })
        #expect(models.contains { $0.layers != nil && $0.headDim != nil })
        #expect(models.contains { !$0.ggufSources.isEmpty })
        #expect(models.allSatisfy { $0.paramsB > 0 && $0.contextLength > 0 })
    }

    @Test func badEntriesAreRefusedWithTheirPlace() {
        #expect(throws: Catalog.Failure.self) { try Catalog.parse(#"{"name":"x"}"#) }
        #expect(throws: Catalog.Failure.self) { try Catalog.parse(#"[{"params_b":1}]"#) }
        #expect(throws: Catalog.Failure.self) { try Catalog.parse(#"[{"name":"a","params_b":0}]"#) }
    }

    /// Scoring the whole catalog for one machine: every model gets an answer in 0–100.
    @Test func everyModelIsAnalysed() {
        let system = SystemSpecs(
            totalRAMGB: 64, availableRAMGB: 48, cpuCores: 16, cpuName: "x",
            gpus: [GPU(name: "NVIDIA GeForce RTX 4090", vramGB: 24, backend: .cuda)])
        let fits = Catalog.models.map { FitAnalysis.analyse($0, on: system) }
        #expect(fits.allSatisfy { (0...100).contains($0.score) && $0.estimatedTPS > 0 })
        #expect(fits.contains { $0.fitLevel == .perfect } && fits.contains { $0.fitLevel == .tooTight })
    }

    /// The committed catalog is what the script makes of the committed source (llmfit's list).
    @Test func theCatalogIsInStepWithItsScript() async throws {
        var root = #filePath
        for _ in 0..<3 { root = String(root[..<root.lastIndex(of: "/")!]) }
        let source = root + "/Catalog/source/hf_models.json"
        try #require(access(source, R_OK) == 0, "no catalog source at \(source)")
        let output = "/tmp/baton-catalog-\(getpid()).json"
        defer { unlink(output) }
        // The script and cmp are waited for on a thread of their own: a synchronous test would hold
        // one of the cooperative pool's two threads (on two cores) for the script's whole run.
        let run = try await offPool { [root] in
            try ChildProcess.run("/usr/bin/python3", [root + "/scripts/make-catalog.py", source, output])
        }
        #expect(run.status == 0, "make-catalog: \(run.stderr)")
        let made = try await offPool { [root] in
            try ChildProcess.run("/usr/bin/cmp", [output, root + "/Catalog/models.json"])
        }
        #expect(made.status == 0, "Catalog/models.json is stale: run scripts/make-catalog.py")
    }
}

import BatonJSON
import Testing

@testable import BatonFit

@Suite struct ModelQueryTests {
    static let system = SystemSpecs(
        totalRAMGB: 32, availableRAMGB: 24, cpuCores: 8, cpuName: "x",
        gpus: [GPU(name: "NVIDIA GeForce RTX 3060", vramGB: 12, backend: .cuda)])

    // Computed, not a stored static: under Swift 6.3 on Linux, test cases racing to initialise a
    // stored static of catalog entries crashed inside swift_once (seen here, not understood).
    static var catalog: [CatalogModel] {
        [
            CatalogModel(
                name: "a/small-chat", provider: "alpha", parameterCount: "1B", paramsB: 1, contextLength: 8192,
                useCase: "Instruction following, chat", releaseDate: "2025-01-01", recommendedRAMGB: 2),
            CatalogModel(
                name: "b/coder-7b", provider: "beta", parameterCount: "7B", paramsB: 7, contextLength: 16384,
                useCase: "Code generation and completion", releaseDate: "2025-06-01", recommendedRAMGB: 8),
            CatalogModel(name: "c/huge", provider: "gamma", parameterCount: "400B", paramsB: 400, contextLength: 4096),
            CatalogModel(name: "d/mid-14b", provider: "beta", parameterCount: "14B", paramsB: 14, contextLength: 32768),
            CatalogModel(
                name: "e/twin", provider: "alpha", parameterCount: "1B", paramsB: 1, contextLength: 8192,
                useCase: "Instruction following, chat", releaseDate: "2025-01-01", recommendedRAMGB: 2),
        ]
    }

    static func run(_ parameters: [String: String], base: ModelQuery = ModelQuery()) throws -> (
        models: [ModelFit], total: Int
    ) {
        var query = base
        try query.apply(parameters)
        return query.run(on: system, catalog: catalog)
    }

    @Test(arguments: [
        (["min_fit": "great"], "invalid min_fit value: use perfect|good|marginal|too_tight"),
        (["runtime": "ollama"], "invalid runtime value: use any|mlx|llamacpp|vllm"),
        (["use_case": "poetry"], "invalid use_case value: use general|coding|reasoning|chat|multimodal|embedding"),
        (["sort": "name"], "invalid sort value: use score|tps|params|mem|ctx|date|use_case"),
        // Several bad at once: sort is checked first, then min_fit, runtime, use_case.
        (
            ["sort": "x", "min_fit": "x", "runtime": "x"],
            "invalid sort value: use score|tps|params|mem|ctx|date|use_case"
        ),
        (["min_fit": "x", "use_case": "x"], "invalid min_fit value: use perfect|good|marginal|too_tight"),
    ])
    func badParametersNameTheFirstProblem(parameters: [String: String], message: String) {
        var query = ModelQuery()
        #expect(throws: ModelQuery.Invalid(message)) { try query.apply(parameters) }
    }

    /// The reference's other spellings of the enumerated values, case and spaces aside.
    @Test func enumeratedValuesTakeTheReferencesAliases() throws {
        var query = ModelQuery()
        try query.apply(["sort": " Throughput", "min_fit": "tight", "runtime": "llama.cpp", "use_case": "vision"])
        #expect(query.sort == .tps && query.minFit == .tooTight && query.runtime == "llamacpp")
        #expect(query.useCase == .multimodal)
        try query.apply(["sort": "usecase", "runtime": "VLLM", "use_case": "embed"])
        #expect(query.sort == .useCase && query.runtime == "vllm" && query.useCase == .embedding)
    }

    @Test func topNeverReturnsTooTightEvenWhenAsked() throws {
        let top = try Self.run(["min_fit": "too_tight", "include_too_tight": "true"], base: .top)
        #expect(!top.models.contains { $0.fitLevel == .tooTight })
        #expect(top.models.count <= 5)
    }

    @Test func includeTooTightOnlyMattersWithMinFitTooTight() throws {
        let marginal = try Self.run([:])
        #expect(!marginal.models.contains { $0.fitLevel == .tooTight })  // min_fit marginal already drops it
        let everything = try Self.run(["min_fit": "too_tight"])
        #expect(everything.total == 5 && everything.models.last?.model.name == "c/huge")
        let runnable = try Self.run(["min_fit": "too_tight", "include_too_tight": "false"])
        #expect(runnable.total == 4)
    }

    @Test func filtersByProviderSearchUseCaseAndPerfect() throws {
        #expect(try Self.run(["provider": "BET"]).models.map(\.model.name).sorted() == ["b/coder-7b", "d/mid-14b"])
        #expect(try Self.run(["search": "coding"]).models.map(\.model.name) == ["b/coder-7b"])  // by category
        #expect(try Self.run(["use_case": "chat"]).models.map(\.model.name) == ["a/small-chat", "e/twin"])
        #expect(try Self.run(["perfect": "true"]).models.allSatisfy { $0.fitLevel == .perfect })
    }

    @Test(arguments: ModelQuery.Sort.allCases)
    func everySortIsOrderedWithTooTightLastAndNameTies(sort: ModelQuery.Sort) throws {
        let result = try Self.run(["sort": sort.rawValue, "min_fit": "too_tight"])
        var query = ModelQuery()
        query.sort = sort
        for (a, b) in zip(result.models, result.models.dropFirst()) { #expect(!query.order(b, a)) }
        #expect(result.models.last?.fitLevel == .tooTight)
        // Identical models tie on every column and stay in name order.
        let names = result.models.map(\.model.name).filter { $0 == "a/small-chat" || $0 == "e/twin" }
        #expect(names == ["a/small-chat", "e/twin"])
    }

    /// `sorted` sorts plain-value keys for speed; it must give exactly `order`'s answer, on the
    /// real catalog (sorted by name) and on it reversed (where names must be ranked first).
    @Test(arguments: ModelQuery.Sort.allCases)
    func keyedSortAgreesWithTheOrderOnTheWholeCatalog(sort: ModelQuery.Sort) {
        var query = ModelQuery()
        query.sort = sort
        for system in [Self.system, SystemSpecs(totalRAMGB: 16, availableRAMGB: 10, cpuCores: 4, cpuName: "x")] {
            let fits = query.analyse(on: system, catalog: Catalog.models)
            let expected = fits.sorted(by: query.order).map(\.model.name)
            #expect(query.sorted(fits).map(\.model.name) == expected)
            #expect(query.sorted(fits.reversed()).map(\.model.name) == expected)
        }
    }

    @Test func limitCutsAfterCounting() throws {
        let result = try Self.run(["limit": "2"])
        #expect(result.models.count == 2 && result.total == 4)
        var query = ModelQuery()
        #expect(throws: ModelQuery.Invalid.self) { try query.apply(["limit": "-1"]) }
    }

    @Test func rowsHaveEveryReferenceField() throws {
        let row = try #require(try Self.run([:]).models.first).json
        for key in [
            "name", "provider", "parameter_count", "params_b", "context_length", "use_case", "category",
            "release_date", "is_moe", "fit_level", "fit_label", "run_mode", "run_mode_label", "score",
            "score_components", "estimated_tps", "runtime", "runtime_label", "best_quant", "memory_required_gb",
            "memory_available_gb", "utilization_pct", "notes", "gguf_sources",
        ] {
            #expect(row[key] != nil, "missing \(key)")
        }
        #expect(row["score_components"]?["quality"]?.doubleValue != nil)
        #expect(row["runtime_label"] == "llama.cpp")
    }
}

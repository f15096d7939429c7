import BatonJSON

/// The node API's model query: its parameters, validated in the reference's order with its
/// messages, applied in the order SPEC §11.3 and §11.9 give, and the answer's envelope.
public struct ModelQuery: Sendable, Equatable {
    public enum Sort: String, Sendable, CaseIterable {
        case score, tps, params, mem, ctx, date
        case useCase = "use_case"
    }

    public var limit: Int?
    public var perfect: Bool?
    public var minFit: FitLevel = .marginal
    /// nil or `any`: every runtime.
    public var runtime: String?
    public var useCase: UseCase?
    public var provider: String?
    public var search: String?
    public var sort: Sort = .score
    public var includeTooTight = true
    public var maxContext: Int?
    /// `/api/v1/models/top`: too_tight is always dropped.
    public var topOnly = false
    /// Whether the caller gave `min_fit` (the envelope echoes what was asked).
    var minFitGiven = false

    public init() {}

    /// `/api/v1/models/top`'s defaults: five models, runnable only.
    public static var top: ModelQuery {
        var query = ModelQuery()
        query.limit = 5
        query.includeTooTight = false
        query.topOnly = true
        return query
    }

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Applies query parameters onto `self` (the endpoint's defaults). The four enumerated ones
    /// are checked first, in the reference's order, so the first bad one is the one reported.
    public mutating func apply(_ parameters: [String: String]) throws(Invalid) {
        func word(_ text: String) -> String { text.trimmingCharacters(in: " \t").lowercased() }
        if let text = parameters["sort"] {
            guard let sort = Self.sorts[word(text)] else {
                throw Invalid("invalid sort value: use score|tps|params|mem|ctx|date|use_case")
            }
            self.sort = sort
        }
        if let text = parameters["min_fit"] {
            let value = word(text)
            guard let fit = FitLevel(rawValue: value) ?? (["tootight", "tight"].contains(value) ? .tooTight : nil)
            else {
                throw Invalid("invalid min_fit value: use perfect|good|marginal|too_tight")
            }
            minFit = fit
            minFitGiven = true
        }
        if let text = parameters["runtime"] {
            let value = word(text)
            guard let runtime = Self.runtimes[value] else {
                throw Invalid("invalid runtime value: use any|mlx|llamacpp|vllm")
            }
            self.runtime = runtime
        }
        if let text = parameters["use_case"] {
            guard let useCase = Self.useCases[word(text)] else {
                throw Invalid("invalid use_case value: use general|coding|reasoning|chat|multimodal|embedding")
            }
            self.useCase = useCase
        }
        if let text = parameters["limit"] {
            guard let n = Int(text), n >= 0 else { throw Invalid("invalid limit value: use a whole number") }
            limit = n
        }
        if let text = parameters["max_context"] {
            guard let n = Int(text), n > 0 else {
                throw Invalid("invalid max_context value: use a positive whole number")
            }
            maxContext = n
        }
        if let text = parameters["perfect"] { perfect = try Self.bool(text, "perfect") }
        if let text = parameters["include_too_tight"] { includeTooTight = try Self.bool(text, "include_too_tight") }
        if let text = parameters["provider"], !text.isEmpty { provider = text }
        if let text = parameters["search"], !text.isEmpty { search = text }
    }

    /// The names (and the reference's other spellings) of each enumerated value.
    static let sorts: [String: Sort] = [
        "score": .score, "tps": .tps, "tokens": .tps, "throughput": .tps, "params": .params, "parameters": .params,
        "mem": .mem, "memory": .mem, "mem_pct": .mem, "utilization": .mem, "ctx": .ctx, "context": .ctx,
        "date": .date, "release": .date, "released": .date, "use": .useCase, "use_case": .useCase,
        "usecase": .useCase,
    ]
    static let runtimes: [String: String] = [
        "any": "any", "mlx": "mlx", "llamacpp": "llamacpp", "llama.cpp": "llamacpp", "llama_cpp": "llamacpp",
        "vllm": "vllm",
    ]
    static let useCases: [String: UseCase] = [
        "coding": .coding, "code": .coding, "reasoning": .reasoning, "reason": .reasoning, "chat": .chat,
        "multimodal": .multimodal, "vision": .multimodal, "embedding": .embedding, "embed": .embedding,
        "general": .general,
    ]

    static func bool(_ text: String, _ name: String) throws(Invalid) -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw Invalid("invalid \(name) value: use true|false")
        }
    }

    /// The matching analyses, sorted and cut to the limit, and how many matched before the cut.
    public func run(
        on system: SystemSpecs, catalog: [CatalogModel] = Catalog.models, month: Int = FitAnalysis.currentMonth()
    ) -> (models: [ModelFit], total: Int) {
        select(from: sorted(analyse(on: system, catalog: catalog, month: month)))
    }

    /// Every catalog model llmfit would list on `system` (backend-compatible; MLX conversions
    /// only on Apple machines), analysed (depends on `maxContext` alone of the query).
    public func analyse(
        on system: SystemSpecs, catalog: [CatalogModel] = Catalog.models, month: Int = FitAnalysis.currentMonth()
    ) -> [ModelFit] {
        let machine = FitAnalysis.Machine(system, month: month)
        let apple = machine.backend == .metal && machine.unified
        return catalog.compactMap { model in
            guard FitAnalysis.backendCompatible(model, on: machine), apple || !model.traits.isMLXOnly else {
                return nil
            }
            return FitAnalysis.analyse(model, on: machine, maxContext: maxContext)
        }
    }

    /// Analyses in this query's order (depends on `sort` alone of the query).
    public func sorted(_ fits: [ModelFit]) -> [ModelFit] {
        // The same order as `order(_:_:)`, through plain-value keys: moving or even reading the
        // analyses themselves (a dozen strings each) in the comparator was most of a request.
        let keys = sortKeys(fits)
        var positions = Array(fits.indices)
        keys.withUnsafeBufferPointer { keys in
            positions.sort { a, b in
                let x = keys[a]
                let y = keys[b]
                if x.tight != y.tight { return y.tight }
                if x.first != y.first { return x.first > y.first }
                if x.second != y.second { return x.second > y.second }
                return x.nameRank < y.nameRank
            }
        }
        return positions.map { fits[$0] }
    }

    struct SortKey {
        var tight: Bool
        /// Compared descending, then `second` descending, then `nameRank` ascending.
        var first: Double
        var second: Double
        var nameRank: Int
    }

    func sortKeys(_ fits: [ModelFit]) -> [SortKey] {
        let nameRanks = Self.ranks(fits.map(\.model.name))
        let dateRanks: [Int] =
            sort == .date
            ? Self.ranks(fits.map { $0.model.releaseDate ?? "" }, missing: fits.map { $0.model.releaseDate == nil })
            : []
        return fits.indices.map { i in
            let fit = fits[i]
            let (first, second): (Double, Double) =
                switch sort {
                case .score: (fit.score, 0)
                case .tps: (fit.estimatedTPS, fit.score)
                case .params: (fit.model.paramsB, 0)
                case .mem: (fit.utilizationPct, 0)
                case .ctx: (Double(fit.usableContext), Double(fit.model.contextLength))
                case .date: (Double(dateRanks[i]), fit.score)
                case .useCase: (-Double(fit.category.labelRank), fit.score)
                }
            return SortKey(tight: fit.fitLevel == .tooTight, first: first, second: second, nameRank: nameRanks[i])
        }
    }

    /// Each text's rank in ascending order (equal texts share a rank); `missing` ones rank below
    /// every present one. A catalog comes already sorted by name, which one pass confirms.
    static func ranks(_ texts: [String], missing: [Bool]? = nil) -> [Int] {
        var ranks = [Int](repeating: -1, count: texts.count)
        var order = texts.indices.filter { missing?[$0] != true }
        if !zip(order, order.dropFirst()).allSatisfy({ texts[$0] < texts[$1] }) {
            order.sort { texts[$0] < texts[$1] }
        }
        var rank = 0
        for (n, i) in order.enumerated() {
            if n > 0 && texts[order[n - 1]] != texts[i] { rank += 1 }
            ranks[i] = rank
        }
        return ranks
    }

    /// Filters analyses already in this query's order, counting every match and keeping the
    /// first `limit`: one pass, so a cached sorted list answers each request cheaply.
    public func select(from sorted: [ModelFit]) -> (models: [ModelFit], total: Int) {
        let provider = provider?.lowercased()
        let search = search?.lowercased()
        var kept: [ModelFit] = []
        var total = 0
        // Read in place through the buffer: copying each analysis (a dozen strings) out of the
        // array was most of a cached request.
        sorted.withUnsafeBufferPointer { fits in
            for i in fits.indices {
                let level = fits[i].fitLevel
                if perfect == true {
                    if level != .perfect { continue }
                } else if level < minFit {
                    continue
                }
                if (topOnly || !includeTooTight) && level == .tooTight { continue }
                if let useCase, fits[i].category != useCase { continue }
                if let runtime, runtime != "any", fits[i].runtime.rawValue != runtime { continue }
                if let provider, !fits[i].model.provider.lowercased().contains(provider) { continue }
                if let search {
                    let model = fits[i].model
                    let fields = [
                        model.name, model.provider, model.parameterCount, model.useCase, fits[i].category.rawValue,
                    ]
                    if !fields.contains(where: { $0.lowercased().contains(search) }) { continue }
                }
                total += 1
                if limit.map({ kept.count < $0 }) ?? true { kept.append(fits[i]) }
            }
        }
        return (kept, total)
    }

    /// too_tight last, then the chosen column (and its tie-breaker), then the name.
    func order(_ a: ModelFit, _ b: ModelFit) -> Bool {
        let aTight = a.fitLevel == .tooTight
        let bTight = b.fitLevel == .tooTight
        if aTight != bTight { return bTight }
        func byName() -> Bool { a.model.name < b.model.name }
        func desc(_ x: Double, _ y: Double, then: () -> Bool) -> Bool { x != y ? x > y : then() }
        switch sort {
        case .score: return desc(a.score, b.score, then: byName)
        case .tps: return desc(a.estimatedTPS, b.estimatedTPS) { desc(a.score, b.score, then: byName) }
        case .params: return desc(a.model.paramsB, b.model.paramsB, then: byName)
        case .mem: return desc(a.utilizationPct, b.utilizationPct, then: byName)
        case .ctx:
            return desc(Double(a.usableContext), Double(b.usableContext)) {
                desc(Double(a.model.contextLength), Double(b.model.contextLength), then: byName)
            }
        case .date:
            switch (a.model.releaseDate, b.model.releaseDate) {
            case (let x?, let y?) where x != y: return x > y
            case (nil, _?): return false
            case (_?, nil): return true
            default: return desc(a.score, b.score, then: byName)
            }
        case .useCase:
            let x = a.category.label
            let y = b.category.label
            return x != y ? x < y : desc(a.score, b.score, then: byName)
        }
    }

    /// The `filters` object: what was asked.
    public var filtersJSON: JSONValue {
        [
            "limit": limit.map { .int(Int64($0)) } ?? .null, "perfect": perfect.map(JSONValue.bool) ?? .null,
            "min_fit": minFitGiven || !topOnly ? .string(minFit.rawValue) : .null,
            "runtime": runtime.map(JSONValue.string) ?? .null,
            "use_case": useCase.map { .string($0.rawValue) } ?? .null,
            "provider": provider.map(JSONValue.string) ?? .null, "search": search.map(JSONValue.string) ?? .null,
            "sort": .string(sort.rawValue), "max_context": maxContext.map { .int(Int64($0)) } ?? .null,
            "include_too_tight": .bool(includeTooTight && !topOnly), "top_only": .bool(topOnly),
        ]
    }
}

extension UseCase {
    /// The label's place in alphabetical order.
    var labelRank: Int {
        switch self {
        case .chat: 0
        case .coding: 1
        case .embedding: 2
        case .general: 3
        case .multimodal: 4
        case .reasoning: 5
        }
    }

    /// "Coding", "Reasoning", …: the `category` label of a row.
    public var label: String {
        switch self {
        case .general: "General"
        case .coding: "Coding"
        case .reasoning: "Reasoning"
        case .chat: "Chat"
        case .multimodal: "Multimodal"
        case .embedding: "Embedding"
        }
    }
}

extension ModelFit {
    /// One row of `models`, with llmfit's fields and rounding (GiB to 0.01, scores to 0.1).
    public var json: JSONValue {
        func round(_ x: Double, _ places: Double) -> JSONValue {
            x.isFinite ? .double((x * places).rounded() / places) : .null
        }
        func int(_ n: Int) -> JSONValue { .int(Int64(n)) }
        let capabilities = JSONValue.array(model.capabilities.map { .string($0.rawValue) })
        return [
            "name": .string(model.name), "provider": .string(model.provider),
            "parameter_count": .string(model.parameterCount), "params_b": round(model.paramsB, 100),
            "context_length": int(model.contextLength), "usable_context": int(usableContext),
            "effective_context_length": int(contextUsed), "use_case": .string(model.useCase),
            "category": .string(category.label), "release_date": model.releaseDate.map(JSONValue.string) ?? .null,
            "is_moe": .bool(model.isMoE), "fit_level": .string(fitLevel.rawValue), "fit_label": .string(fitLevel.label),
            "run_mode": .string(runMode.rawValue), "run_mode_label": .string(runMode.label), "score": round(score, 10),
            "score_components": [
                "quality": round(quality, 10), "speed": round(speed, 10), "fit": round(fit, 10),
                "context": round(context, 10),
            ],
            "estimated_tps": round(estimatedTPS, 10), "runtime": .string(runtime.rawValue),
            "runtime_label": .string(runtime.label), "best_quant": .string(bestQuant),
            "memory_required_gb": round(requiredGB, 100), "memory_available_gb": round(availableGB, 100),
            "moe_offloaded_gb": moeOffloadedGB.map { round($0, 100) } ?? .null,
            "total_memory_gb": round(requiredGB + (moeOffloadedGB ?? 0), 100),
            "utilization_pct": round(utilizationPct, 10), "notes": .array(notes.map(JSONValue.string)),
            "gguf_sources": .array(model.ggufSources.map(JSONValue.string)), "capabilities": capabilities,
            "capability_ids": capabilities, "license": model.license.map(JSONValue.string) ?? .null,
            "supports_tp": .array(model.validTPSizes.map(int)), "installed": false,
            "disk_size_gb": round(model.paramsB * Quantization.bytesPerParameter(bestQuant), 100),
            "estimate_basis": [
                "method": .string(basis.method),
                "gpu_bandwidth_gbps": basis.gpuBandwidthGBps.map(JSONValue.double) ?? .null,
                "ddr_bandwidth_gbps": basis.ramBandwidthGBps.map(JSONValue.double) ?? .null,
                "efficiency": .double(basis.efficiency), "assumed_context": int(basis.assumedContext),
                "local_calibration": .null,
            ],
        ]
    }
}

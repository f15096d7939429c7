import BatonCore
import BatonFit
import BatonHTTP
import BatonJSON

/// `GET /api/v1/models` on the coordinator: the models the configured providers offer, merged
/// with what the fleet reports (each worker's served models and its node's top models, with fit
/// and score), filtered like the node API where its filters apply.
/// The providers are the instance's configuration, which only the system tenant's admins write,
/// so their `$secret:` keys resolve in the system tenant; other tenants see a provider's failure
/// only as "unavailable" (its text may name the provider's address).
enum ModelRoutes {
    static func register(on router: RouterBuilder, services: CoordinatorServices) {
        let systemTenant = services.systemTenant
        let catalog = ProviderModels(secret: { try await services.vault.resolve($0, tenant: systemTenant) })
        router.get("/api/v1/models") { request, context in
            let principal = try KeyRoutes.principal(context)
            let system = services.isSystem(principal)
            let filters = try Filters(request)
            let listings = await catalog.listings(config: services.config.effective, refresh: filters.refresh)
            struct Entry {
                var providers: Set<String> = []
                var fleet: [JSONValue] = []
                var bestScore: Double?
                var bestFit: FitLevel?
            }
            var entries: [String: Entry] = [:]
            for listing in listings {
                for model in listing.models { entries[model, default: Entry()].providers.insert(listing.provider) }
            }
            for view in services.dispatcher.workers(tenant: principal.tenant) {
                let report = view.entry.report
                for (model, kind) in report.models.map({ ($0, "serves") }) + report.topModels.map({ ($0, "top") }) {
                    var entry = entries[model.name, default: Entry()]
                    entry.fleet.append([
                        "worker": .string(report.instance), "online": .bool(view.online), "kind": .string(kind),
                        "fit": model.fit.map(JSONValue.string) ?? .null,
                        "score": model.score.map(JSONValue.double) ?? .null,
                    ])
                    if let score = model.score, score > (entry.bestScore ?? -1) { entry.bestScore = score }
                    if let fit = model.fit.flatMap(FitLevel.init(rawValue:)), entry.bestFit.map({ fit > $0 }) ?? true {
                        entry.bestFit = fit
                    }
                    entries[model.name] = entry
                }
            }
            var rows = entries.filter { name, entry in
                if let provider = filters.provider,
                    !entry.providers.contains(where: { $0.lowercased().contains(provider) })
                {
                    return false
                }
                if let search = filters.search, !name.lowercased().contains(search) { return false }
                if let minimum = filters.minFit {
                    guard let fit = entry.bestFit, fit >= minimum else { return false }
                }
                return true
            }.map { (name: $0.key, entry: $0.value) }
            rows.sort { a, b in
                if filters.sort == "score", a.entry.bestScore != b.entry.bestScore {
                    return (a.entry.bestScore ?? -1) > (b.entry.bestScore ?? -1)
                }
                return a.name < b.name
            }
            let total = rows.count
            if let limit = filters.limit { rows = Array(rows.prefix(limit)) }
            let body: JSONValue = [
                "total_models": .int(Int64(total)), "returned_models": .int(Int64(rows.count)),
                "filters": filters.json,
                "providers": .array(
                    listings.map { listing in
                        [
                            "name": .string(listing.provider), "kind": .string(listing.kind),
                            "source": .string(listing.source), "count": .int(Int64(listing.models.count)),
                            "error": listing.error.map {
                                .string(system ? URLCredentials.strip($0) : "unavailable")
                            } ?? .null,
                            "fetched_at": .string(Timestamp.format(milliseconds: listing.fetchedAtMs)),
                        ]
                    }),
                "models": .array(
                    rows.map { row in
                        [
                            "name": .string(row.name),
                            "providers": .array(row.entry.providers.sorted().map(JSONValue.string)),
                            "fleet": .array(row.entry.fleet),
                            "best_score": row.entry.bestScore.map(JSONValue.double) ?? .null,
                            "best_fit": row.entry.bestFit.map { .string($0.rawValue) } ?? .null,
                        ]
                    }),
            ]
            return .json(.ok, body.text)
        }
    }

    /// The query, checked with the node API's messages where the parameter is the node API's.
    struct Filters {
        var provider: String?
        var search: String?
        var minFit: FitLevel?
        var sort = "score"
        var limit: Int?
        var refresh = false

        init(_ request: HTTPRequest) throws {
            if let text = request.queryValue("sort") {
                guard ["score", "name"].contains(text.lowercased()) else {
                    throw HTTPError.badRequest("invalid sort column: use score|name")
                }
                sort = text.lowercased()
            }
            if let text = request.queryValue("min_fit") {
                guard let level = FitLevel(rawValue: text.lowercased()) else {
                    throw HTTPError.badRequest("invalid min_fit value: use perfect|good|marginal|too_tight")
                }
                minFit = level
            }
            if let text = request.queryValue("limit") {
                guard let n = Int(text), n >= 0 else {
                    throw HTTPError.badRequest("invalid limit value: use a whole number")
                }
                limit = n
            }
            if let text = request.queryValue("refresh") {
                switch text.lowercased() {
                case "true", "1", "yes": refresh = true
                case "false", "0", "no": refresh = false
                default: throw HTTPError.badRequest("invalid refresh value: use true|false")
                }
            }
            provider = request.queryValue("provider").flatMap { $0.isEmpty ? nil : $0.lowercased() }
            search = request.queryValue("search").flatMap { $0.isEmpty ? nil : $0.lowercased() }
        }

        var json: JSONValue {
            [
                "provider": provider.map(JSONValue.string) ?? .null, "search": search.map(JSONValue.string) ?? .null,
                "min_fit": minFit.map { .string($0.rawValue) } ?? .null, "sort": .string(sort),
                "limit": limit.map { .int(Int64($0)) } ?? .null, "refresh": .bool(refresh),
            ]
        }
    }
}

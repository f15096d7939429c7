import BatonCore
import BatonFit
import BatonHTTP
import BatonJSON
import Synchronization

/// The node API of `baton node` (SPEC §11.1): health, the detected system, and the
/// catalog analysed for it. No authentication, as the reference has none; it listens on
/// loopback unless told otherwise.
public enum NodeRoutes {
    /// The machine as last detected; refreshed in the background so requests never wait for it.
    public final class SystemSnapshot: Sendable {
        private let current: Mutex<SystemSpecs>
        public init(_ system: SystemSpecs) { current = Mutex(system) }
        public var value: SystemSpecs { current.withLock { $0 } }
        public func update(_ system: SystemSpecs) { current.withLock { $0 = system } }
    }

    /// The catalog analysed and sorted for the current system, per (max_context, sort, month): the
    /// analysis is the expensive part and changes only when the system snapshot (or, through the
    /// recency bonus, the month) does.
    final class AnalysisCache: Sendable {
        struct Key: Hashable {
            var maxContext: Int?
            var sort: ModelQuery.Sort
            var month: Int
        }
        /// A row's text depends on the context cap and the month, not on the sort.
        struct RowKey: Hashable {
            var maxContext: Int?
            var month: Int
            var name: String
        }
        struct Entries {
            var system: SystemSpecs?
            var sorted: [Key: [ModelFit]] = [:]
            /// Rows serialised once: writing a row's JSON was most of a cached request.
            var rows: [RowKey: JSONValue] = [:]
            var systemJSON: JSONValue?
        }
        private let entries = Mutex<Entries>(Entries())

        func sorted(_ query: ModelQuery, system: SystemSpecs, catalog: [CatalogModel], month: Int) -> [ModelFit] {
            let key = Key(maxContext: query.maxContext, sort: query.sort, month: month)
            if let hit = entries.withLock({ $0.system == system ? $0.sorted[key] : nil }) { return hit }
            let fits = query.sorted(query.analyse(on: system, catalog: catalog, month: month))
            entries.withLock { entries in
                if entries.system != system { entries = Entries(system: system) }
                // A handful of keys at most are asked for; keep the memory bounded anyway.
                if entries.sorted.count >= 32 { entries.sorted = [:] }
                entries.sorted[key] = fits
            }
            return fits
        }

        /// The row of `fit` as JSON text, made once per system snapshot.
        func row(_ fit: ModelFit, system: SystemSpecs, maxContext: Int?, month: Int) -> JSONValue {
            let key = RowKey(maxContext: maxContext, month: month, name: fit.model.name)
            if let hit = entries.withLock({ $0.system == system ? $0.rows[key] : nil }) { return hit }
            let row = JSONValue.verbatim(fit.json.text)
            entries.withLock { entries in
                guard entries.system == system else { return }
                if entries.rows.count >= 50_000 { entries.rows = [:] }
                entries.rows[key] = row
            }
            return row
        }

        /// The system object as JSON text, made once per snapshot.
        func systemJSON(_ system: SystemSpecs) -> JSONValue {
            if let hit = entries.withLock({ $0.system == system ? $0.systemJSON : nil }) { return hit }
            let json = JSONValue.verbatim(system.json.text)
            entries.withLock { entries in
                if entries.system == system { entries.systemJSON = json }
            }
            return json
        }
    }

    public static func makeRouter(
        node: NodeIdentity, system: SystemSnapshot, catalog: [CatalogModel] = Catalog.models,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) -> Router {
        let builder = RouterBuilder(log: log)
        builder.use(RequestIDMiddleware())
        HealthRoutes.register(on: builder, node: node)
        let nodeJSON: JSONValue = ["name": .string(node.name), "os": .string(node.os)]
        let cache = AnalysisCache()
        builder.get("/api/v1/system") { _, _ in
            .json(.ok, (["node": nodeJSON, "system": cache.systemJSON(system.value)] as JSONValue).text)
        }
        builder.get("/api/v1/models") { request, _ in
            try answer(
                request, base: ModelQuery(), node: nodeJSON, system: system.value, catalog: catalog, cache: cache)
        }
        builder.get("/api/v1/models/top") { request, _ in
            try answer(request, base: .top, node: nodeJSON, system: system.value, catalog: catalog, cache: cache)
        }
        builder.get("/api/v1/models/:name") { request, context in
            var base = ModelQuery()
            base.search = context.parameter("name")
            base.limit = 20  // the reference's default for a name
            return try answer(
                request, base: base, node: nodeJSON, system: system.value, catalog: catalog, cache: cache)
        }
        return builder.build()
    }

    static let parameters = [
        "limit", "perfect", "min_fit", "runtime", "use_case", "provider", "search", "sort", "include_too_tight",
        "max_context",
    ]

    static func answer(
        _ request: HTTPRequest, base: ModelQuery, node: JSONValue, system: SystemSpecs, catalog: [CatalogModel],
        cache: AnalysisCache
    ) throws -> HTTPResponse {
        var query = base
        var given: [String: String] = [:]
        for name in parameters { if let value = request.queryValue(name) { given[name] = value } }
        if base.search != nil { given["search"] = nil }  // the path's name is the search
        do {
            try query.apply(given)
        } catch {
            throw HTTPError.badRequest(error.description)
        }
        let month = FitAnalysis.currentMonth()
        let (models, total) = query.select(from: cache.sorted(query, system: system, catalog: catalog, month: month))
        let body: JSONValue = [
            "node": node, "system": cache.systemJSON(system), "total_models": .int(Int64(total)),
            "returned_models": .int(Int64(models.count)), "filters": query.filtersJSON,
            "models": .array(models.map { cache.row($0, system: system, maxContext: query.maxContext, month: month) }),
        ]
        return .json(.ok, body.text)
    }
}

import BatonCore
import BatonHTTP
import BatonJSON
import BatonJobs

/// `/api/jobs*` and `POST /dispatch`: creating, routing, reading, changing, cancelling and
/// retrying jobs. Every job belongs to the calling key's tenant.
enum JobRoutes {
    static func register(on router: RouterBuilder, dispatcher: Dispatcher) {
        router.post("/api/jobs") { request, context in
            let principal = try KeyRoutes.principal(context)
            let spec = try jobSpec(request, dispatcher: dispatcher)
            let job = try await dispatcher.create(spec, tenant: principal.tenant)
            return .json(.created, job.json.text)
        }
        router.post("/dispatch") { request, context in
            let principal = try KeyRoutes.principal(context)
            let spec = try jobSpec(request, dispatcher: dispatcher)
            let job = try await dispatcher.dispatch(spec, tenant: principal.tenant)
            return .json(.ok, job.json.text)
        }
        router.get("/api/jobs") { request, context in
            let principal = try KeyRoutes.principal(context)
            let page = try Pagination(request)
            var status: JobStatus?
            if let text = request.queryValue("status") {
                guard let s = JobStatus(rawValue: text) else {
                    throw HTTPError.badRequest(
                        "status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                status = s
            }
            let provider = request.queryValue("provider")
            if let provider, !JobSpec.isName(provider) {
                throw HTTPError.badRequest("provider must be 1 to 64 letters, digits, '.', '_' or '-'")
            }
            let (jobs, total) = try await dispatcher.jobs(
                tenant: principal.tenant, status: status, provider: provider, limit: page.limit, offset: page.offset)
            let body: JSONValue = [
                "jobs": .array(jobs.map(\.json)), "total": .int(Int64(total)), "limit": .int(Int64(page.limit)),
                "offset": .int(Int64(page.offset)),
            ]
            return .json(.ok, body.text)
        }
        // A lookup by key: answered on the loop when an inline read connection is free, else
        // through the reader threads (SPEC §1.3, §2.1).
        router.get(
            "/api/jobs/:id",
            trying: { _, context in
                let principal = try KeyRoutes.principal(context)
                let json = try dispatcher.jobJSONNow(
                    try jobID(context), tenant: principal.tenant, worker: WorkerRoutes.actingWorker(principal))
                return json.map { .json(.ok, bytes: $0) }
            },
            otherwise: { _, context in
                let principal = try KeyRoutes.principal(context)
                let json = try await dispatcher.jobJSON(
                    try jobID(context), tenant: principal.tenant, worker: WorkerRoutes.actingWorker(principal))
                return .json(.ok, bytes: json)
            })
        router.put("/api/jobs/:id") { request, context in
            let principal = try KeyRoutes.principal(context)
            let id = try jobID(context)
            let body = try JSONBody(request, allowed: ["tags", "priority", "tier"])
            guard !body.fields.isEmpty else {
                throw HTTPError.badRequest("nothing to change: send tags, priority or tier")
            }
            let tags = try JobSpec.tags(body.fields["tags"])
            let priority = try JobSpec.priority(body.fields["priority"])
            let tier = try JobSpec.tier(body.fields["tier"])
            let job = try await dispatcher.update(
                id, tenant: principal.tenant, tags: tags, priority: priority, tier: tier)
            return .json(.ok, job.json.text)
        }
        router.post("/api/jobs/:id/cancel") { _, context in
            let principal = try KeyRoutes.principal(context)
            let job = try await dispatcher.cancel(try jobID(context), tenant: principal.tenant)
            return .json(.ok, job.json.text)
        }
        router.post("/api/jobs/:id/retry") { _, context in
            let principal = try KeyRoutes.principal(context)
            let job = try await dispatcher.retry(try jobID(context), tenant: principal.tenant)
            return .json(.ok, job.json.text)
        }
    }

    static func jobSpec(_ request: HTTPRequest, dispatcher: Dispatcher) throws -> JobSpec {
        guard case .object(let fields) = try JSONBody.document(request) else {
            throw HTTPError.badRequest("the body must be a JSON object")
        }
        let settings = dispatcher.settings
        return try JobSpec.parse(
            fields, defaultProvider: settings.defaultProvider, maxPromptBytes: settings.maxPromptBytes)
    }

    /// Job ids are positive integers; anything else names no job.
    static func jobID(_ context: RequestContext) throws -> Int64 {
        let text = context.parameter("id") ?? ""
        guard let id = Int64(text), id > 0 else {
            throw HTTPError.notFound("no job \(JSONText.quote(String(text.prefix(40))))")
        }
        return id
    }
}

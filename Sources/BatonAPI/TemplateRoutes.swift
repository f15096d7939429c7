import BatonCore
import BatonHTTP
import BatonJSON
import BatonPlatform
import BatonTemplates

/// `/api/v1/templates`: prompt templates. A body is checked (parsed and rendered against the
/// sample variables) before it is stored, so a template error is a 400 naming line and column.
/// Parsing and rendering run within `templates.*` and on a thread of their own, never on the
/// event loop that runs the handlers.
enum TemplateRoutes {
    static func register(on router: RouterBuilder, services: CoordinatorServices) {
        let database = services.database
        router.get("/api/v1/templates") { _, context in
            let principal = try KeyRoutes.principal(context)
            let list = try await TemplateStore.list(tenant: principal.tenant, database: database)
            let body: JSONValue = ["templates": .array(list.map(\.json))]
            return .json(.ok, body.text)
        }
        router.post("/api/v1/templates") { request, context in
            let principal = try KeyRoutes.principal(context)
            let body = try JSONBody(request, allowed: ["id", "body", "description"])
            let id = try body.string("id")!
            guard TemplateStore.isID(id) else {
                throw HTTPError.badRequest("id must be 1 to 64 letters, digits, '.', '_' or '-'")
            }
            let text = try await checked(body, limits: limits(services))
            let saved = try await TemplateStore.save(
                id, body: text, description: try description(body), create: true, tenant: principal.tenant,
                database: database)
            return .json(.created, saved.json.text)
        }
        router.get("/api/v1/templates/:id") { _, context in
            let principal = try KeyRoutes.principal(context)
            let found = try await TemplateStore.get(
                context.parameter("id") ?? "", tenant: principal.tenant, database: database)
            return .json(.ok, found.json.text)
        }
        router.put("/api/v1/templates/:id") { request, context in
            let principal = try KeyRoutes.principal(context)
            let body = try JSONBody(request, allowed: ["body", "description"])
            let text = try await checked(body, limits: limits(services))
            let saved = try await TemplateStore.save(
                context.parameter("id") ?? "", body: text, description: try description(body), create: false,
                tenant: principal.tenant, database: database)
            return .json(.ok, saved.json.text)
        }
        router.delete("/api/v1/templates/:id") { _, context in
            let principal = try KeyRoutes.principal(context)
            try await services.orchestrator.deleteTemplate(context.parameter("id") ?? "", tenant: principal.tenant)
            return HTTPResponse(status: .noContent)
        }
        router.post("/api/v1/templates/:id/preview") { request, context in
            let principal = try KeyRoutes.principal(context)
            let stored = try await TemplateStore.get(
                context.parameter("id") ?? "", tenant: principal.tenant, database: database)
            var variables = TemplateStore.sampleVariables
            var sample = true
            if !request.body.isEmpty {
                let body = try JSONBody(request, allowed: ["variables"])
                if let given = body.fields["variables"] {
                    guard let object = given.objectValue else {
                        throw HTTPError.badRequest("variables must be an object of issue, attempt, steer and job")
                    }
                    variables = object
                    sample = false
                }
            }
            let limits = limits(services)
            let body = stored.body
            let given = variables
            let outcome = await offLoop {
                Result { () throws(TemplateError) in try Template(body, limits: limits).render(given, limits: limits) }
            }
            switch outcome {
            case .success(let rendered):
                let answer: JSONValue = [
                    "id": .string(stored.id), "rendered": .string(rendered), "sample_variables": .bool(sample),
                ]
                return .json(.ok, answer.text)
            case .failure(let error):
                throw templateError(error)
            }
        }
    }

    static func checked(_ body: JSONBody, limits: TemplateLimits) async throws -> String {
        let text = try body.string("body")!
        guard !text.isEmpty, text.utf8.count <= TemplateStore.maxBodyBytes else {
            throw HTTPError.badRequest("body must be 1 to \(TemplateStore.maxBodyBytes) bytes")
        }
        let outcome = await offLoop {
            Result { () throws(TemplateError) in try TemplateStore.check(text, limits: limits) }
        }
        if case .failure(let error) = outcome { throw templateError(error) }
        return text
    }

    /// The `templates.*` limits in force now.
    static func limits(_ services: CoordinatorServices) -> TemplateLimits {
        TemplateLimits(config: services.config.effective)
    }

    /// Runs `work` (a parse and a render, up to `templates.max_render_ms`) on a thread of its own:
    /// the handler runs on the server's event loop, which must go on answering everyone else.
    static func offLoop<T: Sendable>(
        _ work: @escaping @Sendable () -> Result<T, TemplateError>
    ) async -> Result<T, TemplateError> {
        await withCheckedContinuation { continuation in
            OSThread.detach(name: "baton-template") { continuation.resume(returning: work()) }
        }
    }

    static func description(_ body: JSONBody) throws -> String? {
        guard let text = try body.string("description", required: false) else { return nil }
        guard text.utf8.count <= 500 else { throw HTTPError.badRequest("description must be at most 500 bytes") }
        return text
    }

    static func templateError(_ error: TemplateError) -> HTTPError {
        var details = ["line": String(error.line), "column": String(error.column), "message": error.message]
        if let limit = error.limit { details["limit"] = limit }
        return HTTPError.badRequest("template error at \(error.description)", details: details)
    }
}

import BatonCore
import BatonHTTP
import BatonJSON
import BatonTemplates

/// `/api/v1/templates`: prompt templates. A body is checked (parsed and rendered against the
/// sample variables) before it is stored, so a template error is a 400 naming line and column.
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
            let text = try checked(body)
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
            let text = try checked(body)
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
            do throws(TemplateError) {
                let rendered = try Template(stored.body).render(variables)
                let answer: JSONValue = [
                    "id": .string(stored.id), "rendered": .string(rendered), "sample_variables": .bool(sample),
                ]
                return .json(.ok, answer.text)
            } catch {
                throw templateError(error)
            }
        }
    }

    static func checked(_ body: JSONBody) throws -> String {
        let text = try body.string("body")!
        guard !text.isEmpty, text.utf8.count <= TemplateStore.maxBodyBytes else {
            throw HTTPError.badRequest("body must be 1 to \(TemplateStore.maxBodyBytes) bytes")
        }
        do throws(TemplateError) {
            try TemplateStore.check(text)
        } catch {
            throw templateError(error)
        }
        return text
    }

    static func description(_ body: JSONBody) throws -> String? {
        guard let text = try body.string("description", required: false) else { return nil }
        guard text.utf8.count <= 500 else { throw HTTPError.badRequest("description must be at most 500 bytes") }
        return text
    }

    static func templateError(_ error: TemplateError) -> HTTPError {
        HTTPError.badRequest(
            "template error at \(error.description)",
            details: ["line": String(error.line), "column": String(error.column), "message": error.message])
    }
}

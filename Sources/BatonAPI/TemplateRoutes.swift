import BatonCore
import BatonHTTP
import BatonJSON
import BatonPlatform
import BatonTemplates
import Synchronization

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
            var (variables, sample) = (TemplateStore.sampleVariables, true)
            if !request.body.isEmpty {
                (variables, sample) = try given(JSONBody(request, allowed: ["variables"]))
            }
            var answer = try await render(stored.body, variables, limits: limits(services))
            answer["id"] = .string(stored.id)
            answer["sample_variables"] = .bool(sample)
            return .json(.ok, JSONValue.object(answer).text)
        }
        // A body not saved yet, rendered by the same engine, limits and variables as a stored one
        // (the dashboard's live preview while editing); nothing is stored.
        router.post("/api/v1/templates/preview") { request, _ in
            let body = try JSONBody(request, allowed: ["body", "variables"])
            let text = try body.string("body")!
            guard !text.isEmpty, text.codePointCount <= TemplateStore.maxBodyLength else {
                throw HTTPError.badRequest("body must be 1 to \(TemplateStore.maxBodyLength) characters")
            }
            let (variables, sample) = try given(body)
            var answer = try await render(text, variables, limits: limits(services))
            answer["sample_variables"] = .bool(sample)
            return .json(.ok, JSONValue.object(answer).text)
        }
    }

    /// The variables a preview renders with: the sample, or the caller's laid over it.
    static func given(_ body: JSONBody) throws -> ([String: JSONValue], Bool) {
        guard let given = body.fields["variables"] else { return (TemplateStore.sampleVariables, true) }
        guard let object = given.objectValue else {
            throw HTTPError.badRequest("variables must be an object of issue, attempt, steer, job and git")
        }
        return (try previewVariables(object), false)
    }

    /// Previews rendering at once: each may take up to `templates.max_render_ms` of a core, so
    /// more are refused (429) rather than queued behind one another.
    static let maxPreviews = 4
    static let previewsRunning = Atomic<Int>(0)

    /// Parses and renders off the event loop; a template error is a 400 naming the limit or place.
    static func render(_ body: String, _ variables: [String: JSONValue], limits: TemplateLimits) async throws
        -> [String: JSONValue]
    {
        guard previewsRunning.add(1, ordering: .acquiringAndReleasing).newValue <= maxPreviews else {
            previewsRunning.subtract(1, ordering: .acquiringAndReleasing)
            throw HTTPError.tooManyRequests(retryAfter: 1)
        }
        defer { previewsRunning.subtract(1, ordering: .acquiringAndReleasing) }
        let outcome = await offLoop {
            Result { () throws(TemplateError) in try Template(body, limits: limits).render(variables, limits: limits) }
        }
        switch outcome {
        case .success(let rendered): return ["rendered": .string(rendered)]
        case .failure(let error): throw templateError(error)
        }
    }

    /// What a preview renders with when the caller gives variables (SPEC §9.11): the sample
    /// variables with the given ones laid over them. A name the sample has must hold a value of
    /// the shape an attempt renders with (`variableShapes`, which the OpenAPI document states);
    /// given as an object, it replaces the sample's fields one by one, so a template that
    /// rendered against the sample on save is short of no variable. Other names are added as given.
    static func previewVariables(_ given: [String: JSONValue]) throws -> [String: JSONValue] {
        var variables = TemplateStore.sampleVariables
        for (name, value) in given {
            if let shape = variableShapes[name] { try shape.check(value, at: "variables." + name) }
            if case .object(let fields) = value, case .object(var merged)? = variables[name] {
                for (field, fieldValue) in fields { merged[field] = fieldValue }
                variables[name] = .object(merged)
            } else {
                variables[name] = value
            }
        }
        return variables
    }

    /// The shape of a template variable as an attempt builds it (`Orchestrator.startAttempt`).
    indirect enum VariableShape: Sendable {
        case string
        case integer(ClosedRange<Int64>)
        case strings
        case nullable(VariableShape)
        /// An object whose named fields, where present, have these shapes; other fields pass.
        case object([String: VariableShape])

        func check(_ value: JSONValue, at path: String) throws {
            func refuse(_ what: String) -> HTTPError { HTTPError.badRequest("\(path) must be \(what)") }
            switch self {
            case .nullable(let shape):
                if value != .null { try shape.check(value, at: path) }
            case .string:
                guard case .string = value else { throw refuse("a string") }
            case .integer(let range):
                guard let n = value.intValue, range.contains(n) else {
                    throw refuse("a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
            case .strings:
                guard case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) else {
                    throw refuse("an array of strings")
                }
            case .object(let fields):
                guard case .object(let given) = value else { throw refuse("an object") }
                for (name, shape) in fields.sorted(by: { $0.key < $1.key }) {
                    if let field = given[name] { try shape.check(field, at: path + "." + name) }
                }
            }
        }
    }

    static let variableShapes: [String: VariableShape] = [
        "issue": .object([
            "identifier": .string, "title": .string, "description": .string, "state": .string,
            "priority": .integer(0...4), "labels": .strings, "url": .nullable(.string),
            "created_at": .nullable(.string),
        ]),
        "attempt": .object([
            "number": .integer(1...Int64.max), "max": .integer(1...Int64.max), "previous_error": .nullable(.string),
        ]),
        "steer": .strings,
        "job": .object(["provider": .string, "model": .nullable(.string)]),
        "git": .nullable(
            .object(["repo": .string, "url": .nullable(.string), "base_branch": .string, "branch": .string])),
        "agent_session": .nullable(
            .object([
                "id": .string, "creator": .nullable(.string), "prompt_context": .nullable(.string),
                "comment": .nullable(.string), "guidance": .strings, "previous_comments": .strings,
                "prompt": .nullable(.string),
            ])),
    ]

    static func checked(_ body: JSONBody, limits: TemplateLimits) async throws -> String {
        let text = try body.string("body")!
        guard !text.isEmpty, text.codePointCount <= TemplateStore.maxBodyLength else {
            throw HTTPError.badRequest("body must be 1 to \(TemplateStore.maxBodyLength) characters")
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
        guard text.codePointCount <= 500 else {
            throw HTTPError.badRequest("description must be at most 500 characters")
        }
        return text
    }

    static func templateError(_ error: TemplateError) -> HTTPError {
        var details = ["line": String(error.line), "column": String(error.column), "message": error.message]
        if let limit = error.limit { details["limit"] = limit }
        return HTTPError.badRequest("template error at \(error.description)", details: details)
    }
}

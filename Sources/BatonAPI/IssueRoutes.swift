import BatonCore
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonJobs
import BatonTemplates

/// The orchestrator's API: `/api/v1/state`, `/refresh`, `/transitions`, issues by their tracker
/// identifier (`/api/v1/:id…`; static paths such as `/api/v1/keys` win in the trie) and attempts.
enum IssueRoutes {
    static func register(on router: RouterBuilder, services: CoordinatorServices) {
        let orchestrator = services.orchestrator
        router.get("/api/v1/state") { _, context in
            let principal = try KeyRoutes.principal(context)
            return .json(.ok, try await orchestrator.stateJSON(tenant: principal.tenant).text)
        }
        router.post("/api/v1/refresh") { request, context in
            _ = try KeyRoutes.principal(context)
            if !request.body.isEmpty { _ = try JSONBody(request, allowed: []) }
            let (requestedAt, coalesced) = orchestrator.requestRefresh()
            let tracker = services.config.effective.value(at: ["tracker", "kind"])?.stringValue ?? "local"
            let operations: [JSONValue] =
                tracker == "linear" ? ["poll", "reconcile", "dispatch"] : ["reconcile", "dispatch"]
            let body: JSONValue = [
                "queued": true, "coalesced": .bool(coalesced), "requested_at": .string(requestedAt),
                "operations": .array(operations),
            ]
            return .json(.accepted, body.text)
        }
        router.get("/api/v1/transitions") { _, context in
            let principal = try KeyRoutes.principal(context)
            return .json(.ok, try await orchestrator.transitionsJSON(tenant: principal.tenant).text)
        }
        router.get("/api/v1/attempts/:aid") { _, context in
            let principal = try KeyRoutes.principal(context)
            guard let id = context.parameter("aid").flatMap({ Int64($0) }), id > 0 else {
                throw HTTPError.notFound("no attempt \(JSONText.quote(context.parameter("aid") ?? ""))")
            }
            return .json(.ok, try await orchestrator.attemptJSON(id, tenant: principal.tenant).text)
        }
        router.get("/api/v1/:id") { _, context in
            let (principal, id) = try issue(context)
            return .json(.ok, try await orchestrator.detailJSON(id, tenant: principal.tenant).text)
        }
        router.get("/api/v1/:id/attempts") { _, context in
            let (principal, id) = try issue(context)
            return .json(.ok, try await orchestrator.attemptsJSON(id, tenant: principal.tenant).text)
        }
        router.post("/api/v1/:id/abort") { request, context in
            let (principal, id) = try issue(context)
            var reason = "aborted by \(principal.name)"
            if !request.body.isEmpty {
                let body = try JSONBody(request, allowed: ["reason"])
                if let given = try body.string("reason", required: false) { reason = try checkedReason(given) }
            }
            let record = try await orchestrator.abort(
                id, reason: reason, tenant: principal.tenant, actor: principal.name)
            return .json(.accepted, record.json.text)
        }
        router.post("/api/v1/:id/transition") { request, context in
            let (principal, id) = try issue(context)
            let body = try JSONBody(request, allowed: ["to", "reason"])
            let to = try body.string("to")!
            guard let target = IssueState(rawValue: to) else {
                throw HTTPError.badRequest(
                    "to must be one of \(IssueState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let reason = try body.string("reason", required: false).map(checkedReason) ?? "moved by \(principal.name)"
            let record = try await orchestrator.transition(
                id, to: target, reason: reason, tenant: principal.tenant, actor: principal.name)
            return .json(.ok, record.json.text)
        }
        router.post("/api/v1/:id/model") { request, context in
            let (principal, id) = try issue(context)
            let body = try JSONBody(request, allowed: ["model", "restart"])
            guard let value = body.fields["model"] else { throw HTTPError.badRequest("missing field \"model\"") }
            var model: String?
            switch value {
            case .null: model = nil
            case .string(let text) where !text.isEmpty && text.codePointCount <= 200 && !text.containsLineBreak:
                model = text
            default: throw HTTPError.badRequest("model must be a model name of 1 to 200 characters, or null")
            }
            var restart = false
            if let flag = body.fields["restart"] {
                guard let b = flag.boolValue else { throw HTTPError.badRequest("restart must be true or false") }
                restart = b
            }
            let record = try await orchestrator.setModel(
                id, model: model, restart: restart, tenant: principal.tenant, actor: principal.name)
            return .json(.accepted, record.json.text)
        }
        router.post("/api/v1/:id/steer") { request, context in
            let (principal, id) = try issue(context)
            let body = try JSONBody(request, allowed: ["message"])
            let message = try body.string("message")!
            guard !message.isBlank, message.codePointCount <= Orchestrator.maxSteerCodePoints else {
                throw HTTPError.badRequest("message must be 1 to 16384 characters of guidance, not blank")
            }
            try await orchestrator.steer(id, message: message, tenant: principal.tenant)
            let answer: JSONValue = ["issue": .string(id), "steered": true]
            return .json(.accepted, answer.text)
        }
        router.post("/api/v1/:id/template") { request, context in
            let (principal, id) = try issue(context)
            let body = try JSONBody(request, allowed: ["template"])
            let template = try body.string("template")!
            guard TemplateStore.isID(template) else { throw HTTPError.badRequest("template must be a template id") }
            let record = try await orchestrator.setTemplate(
                id, template: template, tenant: principal.tenant, actor: principal.name)
            return .json(.ok, record.json.text)
        }
        router.delete("/api/v1/:id/template") { _, context in
            let (principal, id) = try issue(context)
            let record = try await orchestrator.setTemplate(
                id, template: nil, tenant: principal.tenant, actor: principal.name)
            return .json(.ok, record.json.text)
        }
    }

    /// The caller and the path's issue identifier (a malformed one is simply not an issue).
    static func issue(_ context: RequestContext) throws -> (Principal, String) {
        let principal = try KeyRoutes.principal(context)
        let id = context.parameter("id") ?? ""
        guard IssueIdentifier.isValid(id) else { throw HTTPError.notFound("no issue \(JSONText.quote(id))") }
        return (principal, id)
    }

    static func checkedReason(_ text: String) throws -> String {
        guard !text.isBlank, text.codePointCount <= 500 else {
            throw HTTPError.badRequest("reason must be 1 to 500 characters, not blank")
        }
        return text
    }
}

import BatonCore
import BatonHTTP
import BatonJSON

/// Appends an audit entry for every request that may change something (any method but GET, HEAD
/// and OPTIONS), after it is answered and whatever the answer — refused attempts are security
/// events too. It runs outside authentication so it sees 401/403/429 answers, and learns the
/// caller from the key check made in front of it (no second hash, no database read).
///
/// What is kept depends on who asked and how it went (SPEC §2.9):
/// - a request with a valid key, answered anything but 401/403/429: an entry of its own with the
///   redacted body;
/// - a valid key refused with 401 or 403: an entry of its own with the body's size and the
///   reason only;
/// - a request without a valid key (anonymous), or any 429: the body's size and the reason, and
///   coalesced by `AuditCoalescer`, so one source adds at most one entry per interval.
struct AuditMiddleware: HTTPStepMiddleware {
    let audit: AuditLog
    let refused: AuditCoalescer
    let credentials: Credentials
    let log: @Sendable (String) -> Void

    /// Longest target kept for an anonymous or refused request (the rest is cut at a character).
    static let maxRefusedTargetBytes = 256

    static func audits(_ method: HTTPMethod) -> Bool {
        switch method {
        case .get, .head, .options: false
        default: true
        }
    }

    /// The worker protocol's routine traffic: heartbeats, lease polls and progress reports, every
    /// few seconds per worker and recorded where they land (the workers table, jobs, events).
    /// Answered below 400 they are not audit entries, so an idle fleet adds none (SPEC §2.9);
    /// refused ones are, and a job's completion always is.
    static let workerTelemetry: Set<String> = [
        "PUT /presence", "POST /api/workers/:id/lease", "POST /api/jobs/:id/events",
        // Template previews render and store nothing; the dashboard asks for one as you type.
        "POST /api/v1/templates/preview", "POST /api/v1/templates/:id/preview",
    ]

    /// Reads pass through without a step; a change attempt takes `handle`, whose append suspends.
    func before(_ request: HTTPRequest, context: inout RequestContext) -> Bool {
        !Self.audits(request.method)
    }

    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPHandler) async throws -> HTTPResponse {
        guard Self.audits(request.method) else { return try await next(request, context) }
        let response = try await next(request, context)
        let principal = await KeyCheck.of(request, context, credentials: credentials).principal
        let status = response.status.code
        if principal != nil, status < 400, Self.workerTelemetry.contains("\(request.method.rawValue) \(context.route)")
        {
            return response
        }
        if principal == nil || status == 429 {
            await refused.record(
                Self.sizeOnlyDraft(
                    request, context, principal: principal, status: status, reason: Self.reason(response)),
                source: SourceAddress.key(context.remoteAddress), bodyBytes: request.body.count)
            return response
        }
        var draft: AuditDraft
        if status == 401 || status == 403 {
            draft = Self.sizeOnlyDraft(
                request, context, principal: principal, status: status, reason: Self.reason(response))
        } else {
            draft = Self.draft(request, context, principal: principal, status: status)
            draft.diff = AuditRedaction.diff(forBody: request.body)
        }
        do {
            try await audit.append(draft)
        } catch {
            // The change has happened; failing the answer now would mislead the client.
            log("error: could not append the audit entry for \(draft.action) \(draft.target): \(error)")
        }
        return response
    }

    static func draft(_ request: HTTPRequest, _ context: RequestContext, principal: Principal?, status: Int)
        -> AuditDraft
    {
        AuditDraft(
            tenant: principal?.tenant, actor: principal.map(AuditActor.key) ?? .anonymous,
            action: "\(request.method.rawValue) \(context.route)", target: request.path, requestID: context.requestID,
            source: context.remoteAddress, status: status)
    }

    /// An anonymous or refused request: what it asked for, how large its body was and why it was
    /// refused, never the body (nor more than `maxRefusedTargetBytes` of its path).
    static func sizeOnlyDraft(
        _ request: HTTPRequest, _ context: RequestContext, principal: Principal?, status: Int, reason: String?
    ) -> AuditDraft {
        var draft = draft(request, context, principal: principal, status: status)
        draft.target = truncated(draft.target, to: maxRefusedTargetBytes)
        var diff: [String: JSONValue] = ["body_bytes": .int(Int64(request.body.count))]
        if let reason { diff["reason"] = .string(reason) }
        draft.diff = .object(diff)
        return draft
    }

    /// The error code of an error answer (`{"error","code"}`), else nil.
    static func reason(_ response: HTTPResponse) -> String? {
        guard response.status.code >= 400, case .bytes(let body) = response.body, body.count <= 16384 else {
            return nil
        }
        return (try? JSONParser.parse(body))?["code"]?.stringValue
    }

    static func truncated(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var out = ""
        for character in text {
            if out.utf8.count + character.utf8.count > limit - 3 { break }
            out.append(character)
        }
        return out + "…"
    }
}

import BatonCore
import BatonHTTP
import BatonJSON
import BatonJobs

/// Workers and presence (`/api/workers*`, `/presence`) and the worker protocol a worker uses to
/// take and finish jobs: lease, events, complete. A worker key acts only as its own instance
/// (the key's name); an admin key may act as any.
enum WorkerRoutes {
    static let maxLeaseWaitS = 30

    static func register(on router: RouterBuilder, dispatcher: Dispatcher) {
        router.put("/presence") { request, context in
            let principal = try KeyRoutes.principal(context)
            guard case .object(let fields) = try JSONBody.document(request) else {
                throw HTTPError.badRequest("the body must be a JSON object")
            }
            let report = try PresenceReport.parse(fields)
            if let own = actingWorker(principal), own != report.instance {
                throw HTTPError.forbidden(
                    "a worker key reports presence only for its own instance (\(JSONText.quote(own)))")
            }
            let answer = try await dispatcher.presence(report, tenant: principal.tenant)
            let body: JSONValue = [
                "worker": answer.worker.json, "heartbeat_interval_s": .int(answer.heartbeatIntervalS),
                "stale_after_s": .int(answer.staleAfterS), "commands": .array(answer.commands),
            ]
            return .json(.ok, body.text)
        }
        router.get("/presence") { _, context in
            let principal = try KeyRoutes.principal(context)
            let workers = dispatcher.workers(tenant: principal.tenant, onlineOnly: true)
            let body: JSONValue = [
                "workers": .array(
                    workers.map { view in
                        [
                            "instance": .string(view.entry.instance),
                            "status": .string(view.entry.report.status.rawValue),
                            "online": .bool(view.online), "paused": .bool(view.entry.paused),
                            "last_heartbeat_at": .string(Timestamp.format(milliseconds: view.entry.lastHeartbeatMs)),
                            "load": .int(Int64(view.entry.report.load)), "active_jobs": .int(Int64(view.entry.active)),
                            "capacity": .int(Int64(view.entry.report.capacity)),
                        ]
                    }), "total": .int(Int64(workers.count)),
            ]
            return .json(.ok, body.text)
        }
        router.get("/api/workers") { request, context in
            let principal = try KeyRoutes.principal(context)
            let page = try Pagination(request)
            let all = dispatcher.workers(tenant: principal.tenant)
            let body: JSONValue = [
                "workers": .array(all.dropFirst(page.offset).prefix(page.limit).map(\.json)),
                "total": .int(Int64(all.count)), "limit": .int(Int64(page.limit)), "offset": .int(Int64(page.offset)),
            ]
            return .json(.ok, body.text)
        }
        router.get("/api/workers/:id") { _, context in
            let principal = try KeyRoutes.principal(context)
            return .json(.ok, try dispatcher.worker(try instance(context), tenant: principal.tenant).json.text)
        }
        router.post("/api/workers/:id/pause") { _, context in
            let principal = try KeyRoutes.principal(context)
            return .json(.ok, try await dispatcher.pause(try instance(context), tenant: principal.tenant).json.text)
        }
        router.post("/api/workers/:id/resume") { _, context in
            let principal = try KeyRoutes.principal(context)
            return .json(.ok, try await dispatcher.resume(try instance(context), tenant: principal.tenant).json.text)
        }
        router.post("/api/workers/:id/lease") { request, context in
            let principal = try KeyRoutes.principal(context)
            let name = try instance(context, actingAs: principal)
            var wait = maxLeaseWaitS
            if let text = request.queryValue("wait_s") {
                guard let n = Int(text), (0...maxLeaseWaitS).contains(n) else {
                    throw HTTPError.badRequest("wait_s must be a whole number from 0 to \(maxLeaseWaitS)")
                }
                wait = n
            }
            guard let lease = try await dispatcher.lease(worker: name, tenant: principal.tenant, wait: .seconds(wait))
            else { return HTTPResponse(status: .noContent) }
            let body: JSONValue = [
                "job": lease.job.json,
                "lease": ["token": .string(lease.token), "expires_at": .string(lease.expiresAt)],
            ]
            return .json(.ok, body.text)
        }
        router.post("/api/jobs/:id/events") { request, context in
            let principal = try KeyRoutes.principal(context)
            let id = try JobRoutes.jobID(context)
            let body = try JSONBody(request, allowed: ["token", "progress", "tokens"])
            let token = try body.string("token")!
            var progress: JSONValue?
            if let value = body.fields["progress"], value != .null {
                guard value.text.utf8.count <= 16384 else {
                    throw HTTPError.badRequest("progress must be at most 16384 bytes of JSON")
                }
                progress = value
            }
            let (input, output) = try tokens(body.fields["tokens"])
            let answer = try await dispatcher.report(
                id, tenant: principal.tenant, worker: actingWorker(principal),
                Dispatcher.ProgressReport(token: token, progress: progress, tokensInput: input, tokensOutput: output))
            let reply: JSONValue = [
                "cancel": .bool(answer.cancel), "steer": .array(answer.steer),
                "lease": answer.leaseExpiresAt.map { ["token": .string(token), "expires_at": .string($0)] } ?? .null,
            ]
            return .json(.ok, reply.text)
        }
        router.post("/api/jobs/:id/complete") { request, context in
            let principal = try KeyRoutes.principal(context)
            let id = try JobRoutes.jobID(context)
            let body = try JSONBody(
                request, allowed: ["token", "status", "result", "error", "tokens", "cost_usd", "model_used", "report"])
            let token = try body.string("token")!
            let status = try body.string("status", required: false) ?? "completed"
            guard status == "completed" || status == "failed" || status == "needs_input" else {
                throw HTTPError.badRequest("status must be completed, failed or needs_input")
            }
            let result = try body.string("result", required: false)
            let error = try body.string("error", required: false)
            let (input, output) = try tokens(body.fields["tokens"])
            var cost: Double?
            if let value = body.fields["cost_usd"], value != .null {
                guard let usd = value.doubleValue, usd >= 0, usd.isFinite else {
                    throw HTTPError.badRequest("cost_usd must be a number of at least 0")
                }
                cost = usd
            }
            let modelUsed = try body.string("model_used", required: false)
            if let modelUsed, modelUsed.isEmpty || modelUsed.utf8.count > 256 {
                throw HTTPError.badRequest("model_used must be a model name of 1 to 256 bytes")
            }
            var report: String?
            if let value = body.fields["report"], value != .null {
                guard value.objectValue != nil else { throw HTTPError.badRequest("report must be a JSON object") }
                let text = value.text
                guard text.utf8.count <= maxReportBytes else {
                    throw HTTPError.badRequest("report must be at most \(maxReportBytes) bytes of JSON")
                }
                report = text
            }
            let job = try await dispatcher.complete(
                id, tenant: principal.tenant, worker: actingWorker(principal),
                Dispatcher.Completion(
                    token: token, succeeded: status == "completed", result: result, error: error, tokensInput: input,
                    tokensOutput: output, costUSD: cost, modelUsed: modelUsed, report: report,
                    needsInput: status == "needs_input"))
            return .json(.ok, job.json.text)
        }
    }

    /// Largest `report` a completion may carry (the worker trims its lists to fit).
    static let maxReportBytes = 65536

    /// The instance a worker key acts as (its name); nil for other roles, which may act as any.
    static func actingWorker(_ principal: Principal) -> String? {
        principal.role == .worker ? principal.name : nil
    }

    static func instance(_ context: RequestContext, actingAs principal: Principal? = nil) throws -> String {
        let name = context.parameter("id") ?? ""
        guard JobSpec.isName(name) else {
            throw HTTPError.notFound("no worker \(JSONText.quote(String(name.prefix(64))))")
        }
        // Another instance is invisible to a worker key: 404, as for another tenant's worker.
        if let principal, let own = actingWorker(principal), own != name {
            throw HTTPError.notFound("no worker \(JSONText.quote(name))")
        }
        return name
    }

    /// `{"input": n, "output": n}`: token totals so far, whole numbers of at least 0.
    static func tokens(_ value: JSONValue?) throws -> (Int64?, Int64?) {
        guard let value, value != .null else { return (nil, nil) }
        guard case .object(let fields) = value, Set(fields.keys).isSubset(of: ["input", "output"]) else {
            throw HTTPError.badRequest("tokens must be an object {\"input\": n, \"output\": n}")
        }
        func read(_ name: String) throws -> Int64? {
            guard let v = fields[name], v != .null else { return nil }
            guard let n = v.intValue, n >= 0 else {
                throw HTTPError.badRequest("tokens.\(name) must be a whole number of at least 0")
            }
            return n
        }
        return (try read("input"), try read("output"))
    }
}

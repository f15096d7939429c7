import BatonCore
import BatonHTTP
import BatonJSON
import BatonJobs
import BatonWorkerProtocol

/// Workers and presence (`/api/workers*`, `/presence`) and the worker protocol a worker uses to
/// take and finish jobs: lease, events, complete. A worker key acts only as its own instance
/// (the key's name); an admin key may act as any.
enum WorkerRoutes {
    static func register(on router: RouterBuilder, dispatcher: Dispatcher) {
        router.put("/presence") { request, context in
            let principal = try KeyRoutes.principal(context)
            let report = try PresenceReport(json: try JSONBody.document(request))
            if let own = actingWorker(principal), own != report.instance {
                throw HTTPError.forbidden(
                    "a worker key reports presence only for its own instance (\(JSONText.quote(own)))")
            }
            let answer = try await dispatcher.presence(report, tenant: principal.tenant)
            let body = PresenceAnswer(
                worker: answer.worker.json, heartbeatIntervalS: answer.heartbeatIntervalS,
                staleAfterS: answer.staleAfterS, commands: answer.commands)
            return .json(.ok, body.json.text)
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
            let wait = try LeaseRequest(waitS: request.queryValue("wait_s")).waitS
            guard let lease = try await dispatcher.lease(worker: name, tenant: principal.tenant, wait: .seconds(wait))
            else { return HTTPResponse(status: .noContent) }
            return .json(.ok, lease.answer.json.text)
        }
        router.post("/api/jobs/:id/events") { request, context in
            let principal = try KeyRoutes.principal(context)
            let id = try JobRoutes.jobID(context)
            let report = try ProgressReport(json: try JSONBody.document(request))
            let answer = try await dispatcher.report(
                id, tenant: principal.tenant, worker: actingWorker(principal), report)
            let reply = ProgressAnswer(
                cancel: answer.cancel, steer: answer.steer,
                lease: answer.leaseExpiresAt.map {
                    LeaseGrant(token: report.token, expiresAt: $0, expiresInMs: answer.leaseExpiresInMs)
                })
            return .json(.ok, reply.json.text)
        }
        router.post("/api/jobs/:id/complete") { request, context in
            let principal = try KeyRoutes.principal(context)
            let id = try JobRoutes.jobID(context)
            let completion = try CompletionReport(json: try JSONBody.document(request))
            let job = try await dispatcher.complete(
                id, tenant: principal.tenant, worker: actingWorker(principal), completion)
            return .json(.ok, job.json.text)
        }
    }

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
}

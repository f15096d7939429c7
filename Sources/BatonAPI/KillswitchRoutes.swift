import BatonCore
import BatonHTTP
import BatonJSON
import BatonJobs

/// `/tenant/killswitch`: the calling key's tenant's emergency brake. Changes are audited by the
/// audit middleware like every other request, and announced as `killswitch.changed`.
enum KillswitchRoutes {
    static func register(on router: RouterBuilder, dispatcher: Dispatcher) {
        router.get("/tenant/killswitch") { _, context in
            let principal = try KeyRoutes.principal(context)
            return .json(.ok, dispatcher.killswitch(tenant: principal.tenant).json.text)
        }
        router.post("/tenant/killswitch") { request, context in
            let principal = try KeyRoutes.principal(context)
            let body = try JSONBody(request, allowed: ["level", "reason"])
            guard let levelValue = body.fields["level"] else { throw HTTPError.badRequest("missing field \"level\"") }
            guard let level = levelValue.intValue, (0...4).contains(level) else {
                throw HTTPError.badRequest("level must be a whole number from 0 to 4")
            }
            let reason = try body.string("reason")!
            guard !reason.isBlank, reason.codePointCount <= 500 else {
                throw HTTPError.badRequest("reason must be 1 to 500 characters saying why")
            }
            let change = try await dispatcher.setKillswitch(
                level: Int(level), reason: reason, tenant: principal.tenant, actor: .key(principal))
            return .json(.ok, json(change).text)
        }
        router.post("/tenant/killswitch/clear") { request, context in
            let principal = try KeyRoutes.principal(context)
            var resumeAll = false
            if let text = request.queryValue("resume_all") {
                switch text {
                case "true", "1": resumeAll = true
                case "false", "0": resumeAll = false
                default: throw HTTPError.badRequest("resume_all must be true or false")
                }
            }
            let change = try await dispatcher.clearKillswitch(
                tenant: principal.tenant, resumeAll: resumeAll, actor: .key(principal))
            return .json(.ok, json(change).text)
        }
    }

    static func json(_ change: Dispatcher.KillswitchChange) -> JSONValue {
        [
            "killswitch": change.state.json, "previous_level": .int(Int64(change.previousLevel)),
            "cancelled_jobs": .int(Int64(change.cancelledJobs)), "paused_workers": .int(Int64(change.pausedWorkers)),
            "resumed_workers": .int(Int64(change.resumedWorkers)),
        ]
    }
}

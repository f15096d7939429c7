import BatonCore
import BatonHTTP
import BatonJSON
import BatonJobs
import BatonWorkerProtocol

/// `/api/v1/workspaces`: the workspaces workers keep (from their heartbeats' inventories) and
/// their removal on the owning workers.
enum WorkspaceRoutes {
    static func register(on router: RouterBuilder, dispatcher: Dispatcher) {
        router.get("/api/v1/workspaces") { _, context in
            let principal = try KeyRoutes.principal(context)
            let list = try await dispatcher.workspaces(tenant: principal.tenant)
            let bytes = list.compactMap { $0["bytes"]?.intValue }.reduce(Int64(0)) { $0.addingSaturating($1) }
            let body: JSONValue = [
                "workspaces": .array(list), "total": .int(Int64(list.count)), "bytes": .int(bytes),
            ]
            return .json(.ok, body.text)
        }
        router.delete("/api/v1/workspaces/:key") { _, context in
            let principal = try KeyRoutes.principal(context)
            let key = context.parameter("key") ?? ""
            guard PresenceReport.isWorkspaceName(key) else {
                throw HTTPError.notFound("no workspace \(JSONText.quote(key))")
            }
            let workers = try await dispatcher.removeWorkspace(key, tenant: principal.tenant)
            let body: JSONValue = [
                "workspace": .string(key), "workers": .array(workers.map(JSONValue.string)), "status": "removing",
            ]
            return .json(.accepted, body.text)
        }
    }
}

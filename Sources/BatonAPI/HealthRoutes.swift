import BatonCore
import BatonHTTP
import BatonJSON

/// `GET /health`: liveness, no authentication. The body never changes, so it is encoded once.
enum HealthRoutes {
    static func register(on router: RouterBuilder, node: NodeIdentity) {
        let body = Array(healthJSON(node: node).utf8)
        let headers: HTTPHeaders = ["Content-Type": "application/json"]
        // Answered from memory, so on the loop without a task (SPEC §2.1).
        router.get("/health", synchronous: { _, _ in HTTPResponse(status: .ok, headers: headers, bytes: body) })
    }

    static func healthJSON(node: NodeIdentity) -> String {
        "{\"status\":\"ok\",\"node\":{\"name\":" + JSONText.quote(node.name) + ",\"os\":"
            + JSONText.quote(node.os) + "},\"version\":" + JSONText.quote(BatonVersion.current) + "}"
    }
}

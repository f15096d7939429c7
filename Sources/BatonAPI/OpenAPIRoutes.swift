import BatonHTTP

/// `GET /api/v1/openapi.json`: the OpenAPI document compiled into the binary, so it is served
/// without the source tree.
public enum OpenAPIRoutes {
    /// The document as carried by the binary.
    public static var document: String { EmbeddedResources.openapiJSON }

    static func register(on router: RouterBuilder) {
        let body = Array(document.utf8)
        let headers: HTTPHeaders = ["Content-Type": "application/json"]
        router.get("/api/v1/openapi.json") { _, _ in HTTPResponse(status: .ok, headers: headers, bytes: body) }
    }
}

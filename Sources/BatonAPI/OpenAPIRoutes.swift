import BatonHTTP

/// `GET /api/v1/openapi.json`: the OpenAPI document compiled into the binary, so it is served
/// without the source tree.
public enum OpenAPIRoutes {
    /// The document as carried by the binary.
    public static var document: String { EmbeddedResources.openapiJSON }

    static func register(on router: RouterBuilder) {
        let body = Array(document.utf8)
        let headers: HTTPHeaders = ["Content-Type": "application/json"]
        router.get(
            "/api/v1/openapi.json", synchronous: { _, _ in HTTPResponse(status: .ok, headers: headers, bytes: body) })
        // The docs page renders the spec above in the browser; it loads nothing from elsewhere,
        // and its Content-Security-Policy says so.
        let page = Array(EmbeddedResources.docsHTML.utf8)
        var pageHeaders: HTTPHeaders = ["Content-Type": "text/html; charset=utf-8"]
        pageHeaders.add(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:"
        )
        let docsHeaders = pageHeaders
        router.get("/api/docs", synchronous: { _, _ in HTTPResponse(status: .ok, headers: docsHeaders, bytes: page) })
    }
}

import BatonHTTP

/// The operator dashboard (issue 20): `GET /` is its page, `/ui/app.js` and `/ui/app.css` its
/// script and styles, all three compiled into the binary from `ui/` and public — the page holds no
/// data; everything it shows it reads through the API with the session's role and tenant. Pages are
/// hash routes (`#/issues/ENG-1`), so no catch-all path is needed. The Content-Security-Policy
/// allows only this origin's script and styles (nothing inline, nothing from elsewhere), requests
/// to this origin, and no framing.
public enum DashboardRoutes {
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    /// Path → (asset file in `ui/`, content type).
    public static let files: [(path: String, asset: String, type: String)] = [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/ui/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/ui/app.css", "app.css", "text/css; charset=utf-8"),
    ]

    /// The public paths, for the access policy.
    public static var paths: [String] { files.map(\.path) }

    static func register(on router: RouterBuilder) {
        for file in files {
            let body = Array((EmbeddedResources.assets[file.asset] ?? "").utf8)
            var headers: HTTPHeaders = ["Content-Type": file.type]
            headers.add("Content-Security-Policy", contentSecurityPolicy)
            headers.add("X-Content-Type-Options", "nosniff")
            headers.add("X-Frame-Options", "DENY")
            headers.add("Referrer-Policy", "no-referrer")
            // The binary carries the files, so a new binary may carry new ones: revalidate each load.
            headers.add("Cache-Control", "no-cache")
            let fixed = headers
            router.get(file.path, synchronous: { _, _ in HTTPResponse(status: .ok, headers: fixed, bytes: body) })
        }
    }
}

import BatonHTTP
import Foundation
import Testing

@testable import BatonAPI

/// The dashboard's files (issue 20): public, compiled in, under a strict Content-Security-Policy,
/// and self-contained — nothing inline, nothing from elsewhere.
@Suite struct DashboardRoutesTests {
    @Test func theFilesArePublicWithTheirTypesAndHeaders() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        for (path, type) in [
            ("/", "text/html; charset=utf-8"), ("/ui/app.js", "text/javascript; charset=utf-8"),
            ("/ui/app.css", "text/css; charset=utf-8"),
        ] {
            let response = await c.request(.get, path, anonymous: true)
            #expect(response.status == .ok, "\(path)")
            #expect(response.headers["Content-Type"] == type, "\(path)")
            #expect(response.headers["Content-Security-Policy"] == DashboardRoutes.contentSecurityPolicy)
            #expect(response.headers["X-Content-Type-Options"] == "nosniff")
            #expect(response.headers["X-Frame-Options"] == "DENY")
            #expect(!response.bodyText.isEmpty, "\(path)")
            let head = await c.request(.head, path, anonymous: true)
            #expect(head.status == .ok, "HEAD \(path)")
        }
        // Nothing else under /ui/ exists, and it is not public: probing it needs a key.
        #expect(await c.request(.get, "/ui/other.js", anonymous: true).status == .unauthorized)
        #expect(await c.request(.post, "/", body: "{}", anonymous: true).status == .unauthorized)
    }

    @Test func thePolicyAllowsOnlyThisOriginAndNothingInline() {
        let policy = DashboardRoutes.contentSecurityPolicy
        #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval") && !policy.contains("*"))
        for directive in [
            "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
            "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'",
        ] {
            #expect(policy.contains(directive), "\(directive)")
        }
        #expect(Set(DashboardRoutes.paths).isSubset(of: AccessPolicy.publicRoutes))
    }

    @Test func thePageIsSelfContained() throws {
        let page = try #require(EmbeddedResources.assets["index.html"])
        let script = try #require(EmbeddedResources.assets["app.js"])
        let styles = try #require(EmbeddedResources.assets["app.css"])
        // The page loads exactly its script and its styles, and has no inline script or style.
        #expect(page.contains(#"<script src="/ui/app.js" defer></script>"#))
        #expect(page.contains(#"<link rel="stylesheet" href="/ui/app.css">"#))
        #expect(page.components(separatedBy: "<script").count == 2)
        #expect(
            !page.contains("<style") && !page.contains("style=") && !page.contains("onclick")
                && !page.contains("onload"))
        // SVG's namespace name is an identifier, not a place the page loads from.
        for text in [page, script.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: ""), styles] {
            for external in ["http://", "https://", "//cdn", "@import", "url(http"] {
                #expect(!text.contains(external), "refers to something outside: \(external)")
            }
        }
        // Data goes into the page as text only, and nothing is evaluated.
        for risky in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            #expect(!script.contains(risky), "\(risky)")
        }
        #expect(styles.contains("prefers-color-scheme: dark"))
    }
}

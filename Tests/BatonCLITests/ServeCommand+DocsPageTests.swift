import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// `/api/docs` in a real browser: headless Chromium (installed by `make test`'s dependencies) loads
/// the page from a running `baton serve`, renders every operation of the served spec, and a
/// try-it call to `/health` shows 200.
@Suite struct DocsPageTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// The page's DOM once its scripts have run (virtual time lets the fetches finish).
    static func render(_ url: String, profile: String) async throws -> String {
        let browser = try #require(chromium, "headless Chromium is needed (scripts/install-deps.sh --test installs it)")
        let result = try await offPool {
            try ChildProcess.run(
                browser,
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)",
                    "--virtual-time-budget=10000", "--dump-dom", url,
                ], timeout: 90)
        }
        #expect(result.status == 0, "chromium: \(result.stderr.suffix(500))")
        return result.stdout
    }

    @Test func everyOperationAppearsAndTryItShowsALiveAnswer() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir, "--local-workers", "0"])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let base = "http://127.0.0.1:\(port)"

        // Self-contained: nothing is loaded from anywhere but this server.
        let html = try await Self.fetch(base + "/api/docs")
        #expect(html.status == 200)
        for external in ["<link", "src=\"http", "src='http", "@import", "url(http", "https://", "http://"] {
            #expect(!html.body.contains(external), "the page refers to something outside: \(external)")
        }

        let specText = try await Self.fetch(base + "/api/v1/openapi.json").body
        let spec = try JSONParser.parse(specText)
        var expected: [String] = []
        for (path, item) in spec["paths"]?.objectValue ?? [:] {
            for method in ["get", "put", "post", "delete", "patch"] where item[method] != nil {
                expected.append(Self.slug(method + "-" + path))
            }
        }
        let profile = dir + "-chromium"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let dom = try await Self.render(base + "/api/docs", profile: profile)
        let rendered = Self.operationIDs(dom)
        #expect(!expected.isEmpty && Set(rendered) == Set(expected), "missing: \(Set(expected).subtracting(rendered))")
        #expect(dom.contains("· \(expected.count) operations"))

        let ran = try await Self.render(base + "/api/docs#run=get-health", profile: profile)
        #expect(
            ran.contains(#"<pre class="result" data-status="200"><span class="status">200 OK</span>"#),
            "\(ran.suffix(300))")
        #expect(await baton.stop() == 0)
    }

    static func fetch(_ url: String) async throws -> (status: Int, body: String) {
        let client = HTTPClient()
        defer { client.shutdown() }
        let response = try await client.execute(HTTPClientRequest(url: url))
        return (response.status, response.text)
    }

    static func slug(_ text: String) -> String {
        var out = ""
        var dash = false
        for c in text.unicodeScalars {
            if ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) {
                out.unicodeScalars.append(c)
                dash = false
            } else if !dash {
                out += "-"
                dash = true
            }
        }
        return out
    }

    static func operationIDs(_ dom: String) -> [String] {
        dom.components(separatedBy: #"<div class="op" id=""#).dropFirst().compactMap {
            $0.split(separator: "\"").first.map(String.init)
        }
    }
}

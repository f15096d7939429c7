import BatonCore
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonTestSupport
import Testing

@testable import BatonAPI

/// `GET /api/v1/git/context` over a real repository made with `git` in a temporary directory, and
/// the route reaching the attempt's prompt and job.
@Suite struct GitRoutesTests {
    static func git(_ arguments: [String], in path: String) throws {
        let result = try ChildProcess.run(
            "/usr/bin/env", ["git", "-C", path] + arguments,
            environment: [
                "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@x",
            ])
        #expect(result.status == 0, "git \(arguments): \(result.stderr)")
    }

    @Test func contextReadsTheCheckoutAndRoutesAnIssue() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let repo = TemporaryDirectory(prefix: "baton-git")
        defer { repo.remove() }
        try await offPool {
            try Self.git(["init", "-q", "-b", "trunk"], in: repo.path)
            repo.write("README", "hello\n")
            try Self.git(["add", "README"], in: repo.path)
            try Self.git(["commit", "-q", "-m", "first"], in: repo.path)
            try Self.git(["branch", "feature-x"], in: repo.path)
            try Self.git(["remote", "add", "origin", "git@example.com:acme/app.git"], in: repo.path)
        }
        let overlay = """
            {"git":{"repos":[{"name":"app","path":"\(repo.path)"},{"name":"elsewhere","path":"\(repo.path)/missing"}],
            "routes":[{"labels":["bug"],"repo":"app","base_branch":"trunk"}]}}
            """
        #expect(await c.send(.put, "/api/v1/config/overlay", overlay).status == .ok)
        let context = await c.request(.get, "/api/v1/git/context").json
        let app = context["repos"]?.arrayValue?.first
        #expect(app?["default_branch"] == "trunk" && app?["branches"] == ["feature-x", "trunk"], "\(context.text)")
        #expect(app?["remotes"] == [["name": "origin", "url": "git@example.com:acme/app.git"]])
        #expect(context["repos"]?.arrayValue?.last?["error"]?.stringValue?.isEmpty == false)
        #expect(context["routes"]?.arrayValue?.first?["repo"] == "app")

        // An issue with the label routes there; its attempt's prompt and job carry the route.
        try await c.storeWebhookSecret()
        try await c.deliverAndTick(c.issueDelivery("ENG-60"))  // labelled bug
        let routed = await c.request(.get, "/api/v1/git/context?issue=ENG-60").json
        #expect(routed["issue"]?["repo"] == "app" && routed["issue"]?["branch"] == "baton/ENG-60")
        let attempt = await c.issueJSON("ENG-60")["attempts"]?.arrayValue?.first
        let job = await c.job(try #require(attempt?["job"]?.intValue))
        #expect(job["context"]?["git_branch"] == "baton/ENG-60" && job["context"]?["git_base_branch"] == "trunk")
        #expect(await c.request(.get, "/api/v1/git/context?issue=nope").status == .badRequest)
        #expect(await c.request(.get, "/api/v1/git/context?issue=ENG-404").status == .notFound)
        #expect(await c.request(.get, "/api/v1/git/context", anonymous: true).status == .unauthorized)
    }

    /// A route on a project matches the issues of that Linear project, and no others.
    @Test func aProjectRouteMatchesItsProjectsIssues() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w1", provider: "dry-run")
        let overlay = """
            {"git":{"repos":[{"name":"web","url":"https://example.com/acme/web.git"}],
            "routes":[{"project":"web-relaunch","repo":"web","base_branch":"main"}]}}
            """
        #expect(await c.send(.put, "/api/v1/config/overlay", overlay).status == .ok)
        try await c.storeWebhookSecret()
        var inProject = TrackedIssue(identifier: "ENG-61", title: "Hero banner", state: "Todo", priority: 2)
        inProject.project = "web-relaunch"
        try await c.deliverAndTick(
            LinearWebhook.issuePayload(inProject, timestampMs: Timestamp.nowMilliseconds()))
        try await c.deliverAndTick(c.issueDelivery("ENG-62"))  // no project
        let routed = await c.request(.get, "/api/v1/git/context?issue=ENG-61").json
        #expect(routed["issue"]?["repo"] == "web" && routed["issue"]?["base_branch"] == "main", "\(routed.text)")
        let attempt = await c.issueJSON("ENG-61")["attempts"]?.arrayValue?.first
        let job = await c.job(try #require(attempt?["job"]?.intValue))
        #expect(job["context"]?["git_repo"] == "web", "\(job.text)")
        let other = await c.request(.get, "/api/v1/git/context?issue=ENG-62").json
        #expect(other["issue"] == .null || other["issue"]?["repo"] == .null, "\(other.text)")
    }
}

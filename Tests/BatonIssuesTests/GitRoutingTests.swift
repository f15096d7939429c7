import BatonJSON
import Testing

@testable import BatonCore
@testable import BatonIssues
@testable import BatonJobs

@Suite struct GitRoutingTests {
    static let config: JSONValue = [
        "git": [
            "repos": [
                ["name": "web", "url": "git@example.com:acme/web.git", "default_branch": "develop"],
                ["name": "api", "path": "/srv/api"],
            ],
            "routes": [
                ["labels": ["frontend", "bug"], "repo": "web"],
                ["team": "OPS", "repo": "ghost"],  // an unknown repo: never chosen
                ["team": "ops", "repo": "api", "base_branch": "release"],
                ["project": "mobile", "repo": "web"],
                ["repo": "api"],
            ],
        ]
    ]

    @Test func theFirstMatchingRouteWithAKnownRepoWins() throws {
        let routing = GitRouting(config: Self.config)
        let web = try #require(routing.resolve(identifier: "ENG-1", labels: ["Bug", "frontend"]))
        #expect(web.repo.name == "web" && web.baseBranch == "develop" && web.branch == "baton/ENG-1" && web.route == 0)
        #expect(
            web.context == [
                "git_repo": "web", "git_url": "git@example.com:acme/web.git", "git_base_branch": "develop",
                "git_branch": "baton/ENG-1",
            ])
        let ops = try #require(routing.resolve(identifier: "OPS-7", labels: []))
        #expect(ops.repo.name == "api" && ops.baseBranch == "release" && ops.route == 2)
        #expect(routing.resolve(identifier: "APP-3", labels: [], project: "mobile")?.route == 3)
        // Only one of the two labels: falls through to the catch-all, whose repo has no branch set.
        let rest = try #require(routing.resolve(identifier: "ENG-2", labels: ["bug"]))
        #expect(rest.route == 4 && rest.baseBranch == "main" && rest.context["git_url"] == nil)
        #expect(GitRouting().resolve(identifier: "ENG-1", labels: []) == nil)
    }
}

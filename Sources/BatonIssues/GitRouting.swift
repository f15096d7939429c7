import BatonCore
import BatonJSON
import BatonJobs
import BatonTemplates

/// `git.repos` and `git.routes`: which repository and base branch an issue's work starts from.
/// Routes are tried in order; a route's conditions (labels, all required; team, the identifier's
/// key; project, the project slug) must all hold, and a route without any matches every
/// issue. The branch an attempt works on is `baton/<identifier>`.
public struct GitRouting: Sendable, Equatable {
    public struct Repo: Sendable, Equatable {
        public var name: String
        public var path: String?
        public var url: String?
        public var defaultBranch: String?
    }

    public struct Route: Sendable, Equatable {
        public var labels: [String]
        public var team: String?
        public var project: String?
        public var repo: String
        public var baseBranch: String?
    }

    public struct Resolved: Sendable, Equatable {
        public var repo: Repo
        public var baseBranch: String
        public var branch: String
        /// Which route matched (0-based).
        public var route: Int

        /// The job's context: given to the worker's hooks as BATON_GIT_*.
        public var context: [String: String] {
            var out = ["git_repo": repo.name, "git_base_branch": baseBranch, "git_branch": branch]
            if let url = repo.url { out["git_url"] = url }
            return out
        }

        /// The template's `git` variable.
        public var variables: JSONValue {
            [
                "repo": .string(repo.name), "url": repo.url.map(JSONValue.string) ?? .null,
                "base_branch": .string(baseBranch), "branch": .string(branch),
            ]
        }
    }

    public var repos: [Repo]
    public var routes: [Route]

    public init(repos: [Repo] = [], routes: [Route] = []) {
        self.repos = repos
        self.routes = routes
    }

    public init(config: JSONValue) {
        repos = (config.value(at: ["git", "repos"])?.arrayValue ?? []).compactMap { item in
            guard let name = item["name"]?.stringValue, !name.isEmpty else { return nil }
            return Repo(
                name: name, path: item["path"]?.stringValue, url: item["url"]?.stringValue,
                defaultBranch: item["default_branch"]?.stringValue)
        }
        routes = (config.value(at: ["git", "routes"])?.arrayValue ?? []).compactMap { item in
            guard let repo = item["repo"]?.stringValue, !repo.isEmpty else { return nil }
            return Route(
                labels: item["labels"]?.arrayValue?.compactMap(\.stringValue) ?? [], team: item["team"]?.stringValue,
                project: item["project"]?.stringValue, repo: repo, baseBranch: item["base_branch"]?.stringValue)
        }
    }

    /// The first route the issue satisfies whose repository is known.
    public func resolve(identifier: String, labels: [String], project: String? = nil) -> Resolved? {
        let team = identifier.split(separator: "-").first.map(String.init)
        let have = Set(labels.map { $0.lowercased() })
        for (index, route) in routes.enumerated() {
            if !route.labels.allSatisfy({ have.contains($0.lowercased()) }) { continue }
            if let wanted = route.team, wanted.lowercased() != team?.lowercased() { continue }
            if let wanted = route.project, wanted != project { continue }
            guard let repo = repos.first(where: { $0.name == route.repo }) else { continue }
            return Resolved(
                repo: repo, baseBranch: route.baseBranch ?? repo.defaultBranch ?? "main", branch: "baton/\(identifier)",
                route: index)
        }
        return nil
    }

    public var routesJSON: JSONValue {
        .array(
            routes.map { route in
                [
                    "labels": .array(route.labels.map(JSONValue.string)),
                    "team": route.team.map(JSONValue.string) ?? .null,
                    "project": route.project.map(JSONValue.string) ?? .null, "repo": .string(route.repo),
                    "base_branch": route.baseBranch.map(JSONValue.string) ?? .null,
                ]
            })
    }
}

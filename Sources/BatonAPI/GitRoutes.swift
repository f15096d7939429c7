import BatonCore
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonJobs
import BatonPlatform

/// `GET /api/v1/git/context`: the configured repositories, read with `git` where a checkout is
/// local (default branch, remotes, branches), the routing rules, and with `?issue=ENG-1` where
/// that issue's work would start.
/// URLs never carry their credentials. Repositories are the instance's: keys of other tenants get
/// names, default branches and branches, but no path, URL, remote or `git` error (`url`, `path`
/// and `error` null, `remotes` empty).
enum GitRoutes {
    static func register(on router: RouterBuilder, services: CoordinatorServices) {
        router.get("/api/v1/git/context") { request, context in
            let principal = try KeyRoutes.principal(context)
            let system = services.isSystem(principal)
            let routing = GitRouting(config: services.config.effective)
            var repos: [JSONValue] = []
            for repo in routing.repos {
                var entry: [String: JSONValue] = [
                    "name": .string(repo.name),
                    "url": system ? repo.url.map { .string(URLCredentials.strip($0)) } ?? .null : .null,
                    "path": system ? repo.path.map(JSONValue.string) ?? .null : .null,
                    "default_branch": repo.defaultBranch.map(JSONValue.string) ?? .null,
                    "remotes": [], "branches": [], "error": .null,
                ]
                if let path = repo.path {
                    let read = await offThread { inspect(path) }
                    if system {
                        entry["remotes"] = .array(
                            read.remotes.map { ["name": .string($0.0), "url": .string(URLCredentials.strip($0.1))] })
                        entry["error"] = read.error.map { .string(URLCredentials.strip($0)) } ?? .null
                    }
                    entry["branches"] = .array(read.branches.map(JSONValue.string))
                    if repo.defaultBranch == nil, let head = read.head { entry["default_branch"] = .string(head) }
                }
                repos.append(.object(entry))
            }
            var body: [String: JSONValue] = ["repos": .array(repos), "routes": routing.routesJSON]
            if let id = request.queryValue("issue") {
                guard IssueIdentifier.isValid(id) else {
                    throw HTTPError.badRequest("issue must be an issue identifier such as ENG-123")
                }
                let record = try await services.orchestrator.issue(id, tenant: principal.tenant)
                let resolved = routing.resolve(
                    identifier: id, labels: record.tracked.labels, project: record.tracked.project)
                body["issue"] = [
                    "identifier": .string(id), "labels": .array(record.tracked.labels.map(JSONValue.string)),
                    "route": resolved.map { .int(Int64($0.route)) } ?? .null,
                    "repo": resolved.map { .string($0.repo.name) } ?? .null,
                    "base_branch": resolved.map { .string($0.baseBranch) } ?? .null,
                    "branch": resolved.map { .string($0.branch) } ?? .null,
                ]
            }
            return .json(.ok, JSONValue.object(body).text)
        }
    }

    struct Inspection: Sendable {
        var remotes: [(String, String)] = []
        var branches: [String] = []
        var head: String?
        var error: String?
    }

    /// Reads a local checkout with `git` (a missing tool or repository is reported, not thrown).
    static func inspect(_ path: String) -> Inspection {
        func git(_ arguments: [String]) -> (ok: Bool, out: String, err: String) {
            // A checkout's own configuration may come from an agent's work: no fsmonitor, no
            // hooks, no system or global configuration, and only a plain environment.
            var options = Subprocess.Options(
                "/usr/bin/env",
                ["git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-C", path] + arguments,
                environment: [
                    "PATH": "/usr/local/bin:/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1",
                    "GIT_CONFIG_GLOBAL": "/dev/null",
                    "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LANG": "C",
                ], captureLimit: 1 << 20)
            options.inheritEnvironment = false
            guard let result = try? Subprocess.run(options, timeout: 10) else { return (false, "", "git did not run") }
            return (result.status == 0, result.stdout, result.stderr)
        }
        var out = Inspection()
        let remotes = git(["remote", "-v"])
        guard remotes.ok else {
            out.error = String(remotes.err.split(separator: "\n").first ?? "not a git repository")
            return out
        }
        for line in remotes.out.split(separator: "\n") where line.hasSuffix("(fetch)") {
            let parts = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if parts.count >= 2 { out.remotes.append((String(parts[0]), String(parts[1]))) }
        }
        out.branches = git(["for-each-ref", "--format=%(refname:short)", "refs/heads"]).out.split(separator: "\n")
            .map(String.init)
        // The remote's default branch when known, else the checked-out one.
        let remoteHead = git(["symbolic-ref", "--short", "refs/remotes/origin/HEAD"])
        if remoteHead.ok, let name = remoteHead.out.split(separator: "\n").first {
            out.head = String(name.split(separator: "/", maxSplits: 1).last ?? name)
        } else {
            let local = git(["symbolic-ref", "--short", "HEAD"])
            if local.ok { out.head = local.out.split(separator: "\n").first.map(String.init) }
        }
        return out
    }

    static func offThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            OSThread.detach(name: "baton-git") { continuation.resume(returning: body()) }
        }
    }
}

import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// What an attempt changed in its workspace, for the job's report (SPEC §7.12). A git checkout answers with
/// git: the changes from the commit the attempt started on to the working tree (so work the agent
/// committed counts), untracked files, and the diff stat; any other directory with a listing
/// taken before the agent ran compared to one taken after (size and modification time per file).
///
/// git reads the repository's own configuration, which the agent could have written (an fsmonitor
/// or a filter runs commands): it runs confined like the agent, with hooks and fsmonitor off and
/// no system or global configuration.
struct WorkspaceChanges {
    /// Files listed at most; a workspace larger than this reports what it saw.
    static let listingLimit = 20_000

    let path: String
    let isGit: Bool
    let confinement: Confinement?
    private let before: [String: FileStamp]
    /// The commit checked out when the attempt started (nil: none yet, or not git).
    private let base: String?

    struct FileStamp: Equatable {
        var size: Int64
        var modifiedNs: Int64
    }

    /// Takes the "before" listing, or the git checkout's current commit.
    static func start(path: String, confinement: Confinement? = nil) async -> WorkspaceChanges {
        var info = stat()
        let isGit = lstat(path + "/.git", &info) == 0
        guard isGit else {
            let listing = await offPool { Self.listing(path) }
            return WorkspaceChanges(path: path, isGit: false, confinement: confinement, before: listing, base: nil)
        }
        let head = await git(["rev-parse", "--verify", "-q", "HEAD"], in: path, confinement: confinement)
        let base = head.map { $0.trimmingWhitespace }.flatMap { $0.isEmpty ? nil : $0 }
        return WorkspaceChanges(path: path, isGit: true, confinement: confinement, before: [:], base: base)
    }

    /// The changes since `start`, and the diff stat for a git checkout.
    func changes() async -> (files: [FileChange], diffStat: String?) {
        guard isGit else {
            let after = await offPool { Self.listing(path) }
            return (Self.compare(before, after), nil)
        }
        guard let base else {
            // No commit to compare with yet: what git status sees.
            let status = await Self.git(
                ["status", "--porcelain=v1", "--untracked-files=all"], in: path, confinement: confinement)
            return (status.map(Self.parsePorcelain) ?? [], nil)
        }
        let tracked = await Self.git(["diff", "--name-status", "-M", base], in: path, confinement: confinement)
        let untracked = await Self.git(
            ["ls-files", "--others", "--exclude-standard"], in: path, confinement: confinement)
        let stat = await Self.git(["diff", "--stat", base], in: path, confinement: confinement)
        var files = tracked.map(Self.parseNameStatus) ?? []
        files += (untracked ?? "").split(separator: "\n").map { FileChange(String($0), .untracked) }
        let diff = stat.map { $0.trimmingWhitespace }.flatMap { $0.isEmpty ? nil : $0 }
        return (files, diff)
    }

    /// `git diff --name-status` lines: `M\tpath`, `R100\told\tnew`.
    static func parseNameStatus(_ text: String) -> [FileChange] {
        text.split(separator: "\n").compactMap { line -> FileChange? in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 2, let code = fields[0].first else { return nil }
            let path = String(fields[fields.count - 1])
            let kind: FileChange.Kind =
                switch code {
                case "A": .added
                case "D": .deleted
                case "R", "C": .renamed
                default: .modified
                }
            return FileChange(path, kind)
        }
    }

    /// `git status --porcelain=v1` lines: `XY path` or `XY old -> new`.
    static func parsePorcelain(_ text: String) -> [FileChange] {
        text.split(separator: "\n").compactMap { line -> FileChange? in
            let bytes = Array(line.utf8)
            guard bytes.count > 3 else { return nil }
            let code = String(decoding: bytes[0..<2], as: UTF8.self)
            var path = String(decoding: bytes[3...], as: UTF8.self)
            // A rename reads `old -> new`: the new path is the one in the workspace now.
            if let arrow = path.splitOnce(" -> ") { path = arrow }
            if path.hasPrefix("\""), path.hasSuffix("\""), path.count >= 2 {
                path = String(path.dropFirst().dropLast())
            }
            let kind: FileChange.Kind =
                switch code {
                case "??": .untracked
                case _ where code.contains("R"): .renamed
                case _ where code.contains("A"): .added
                case _ where code.contains("D"): .deleted
                default: .modified
                }
            return FileChange(path, kind)
        }
    }

    static func compare(_ before: [String: FileStamp], _ after: [String: FileStamp]) -> [FileChange] {
        var out: [FileChange] = []
        for (path, stamp) in after {
            if let old = before[path] {
                if old != stamp { out.append(FileChange(path, .modified)) }
            } else {
                out.append(FileChange(path, .added))
            }
        }
        for path in before.keys where after[path] == nil { out.append(FileChange(path, .deleted)) }
        return out.sorted { $0.path < $1.path }
    }

    /// Regular files and symlinks under `root` by relative path (`.git` left out), breadth first.
    static func listing(_ root: String, limit: Int = listingLimit) -> [String: FileStamp] {
        var out: [String: FileStamp] = [:]
        var queue = [""]
        while let relative = queue.popLast(), out.count < limit {
            let dirPath = relative.isEmpty ? root : root + "/" + relative
            guard let dir = opendir(dirPath) else { continue }
            defer { closedir(dir) }
            while out.count < limit, let entry = readdir(dir) {
                let name = DirectoryEntry.name(entry)
                if name == "." || name == ".." || (relative.isEmpty && name == ".git") { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(root + "/" + path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: queue.append(path)
                case S_IFREG, S_IFLNK:
                    out[path] = FileStamp(
                        size: Int64(info.st_size),
                        modifiedNs: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
                default: continue
                }
            }
        }
        return out
    }

    /// Runs git without a shell, confined like the agent; nil when it fails (git missing, not a
    /// repository, no HEAD yet).
    static func git(_ arguments: [String], in directory: String, confinement: Confinement? = nil) async -> String? {
        guard let git = Executable.find("git") else { return nil }
        let options = Subprocess.Options(
            git,
            ["-c", "core.quotepath=off", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"] + arguments,
            environment: [
                "GIT_OPTIONAL_LOCKS": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
                "GIT_TERMINAL_PROMPT": "0",
            ],
            directory: directory, captureLimit: 256 * 1024
        ).confined(confinement ?? Confinement(environment: Confinement.baseEnvironment(), sandbox: nil))
        guard let child = try? Subprocess(options) else { return nil }
        child.closeInput()
        OSThread.detach(name: "workspace-git") {
            if child.wait(timeout: 30) == nil { child.endGroup(grace: 1) }
        }
        let status = await child.exitEndingGroupOnCancel()
        return status == 0 ? child.output : nil
    }
}

extension String {
    /// What follows the first `separator`, or nil when there is none.
    func splitOnce(_ separator: String) -> String? {
        let hay = Array(utf8)
        let needle = Array(separator.utf8)
        guard !needle.isEmpty, hay.count >= needle.count else { return nil }
        for start in 0...(hay.count - needle.count) where Array(hay[start..<start + needle.count]) == needle {
            return String(decoding: hay[(start + needle.count)...], as: UTF8.self)
        }
        return nil
    }
}

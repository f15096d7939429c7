import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// What an attempt changed in its workspace, for the job's report. A git checkout answers with
/// `git status --porcelain` and `git diff --stat HEAD`; any other directory with a listing taken
/// before the agent ran compared to one taken after (size and modification time per file).
struct WorkspaceChanges {
    /// Files listed at most; a workspace larger than this reports what it saw.
    static let listingLimit = 20_000

    let path: String
    let isGit: Bool
    private let before: [String: FileStamp]

    struct FileStamp: Equatable {
        var size: Int64
        var modifiedNs: Int64
    }

    /// Takes the "before" listing (unless the workspace is a git checkout, which keeps its own).
    init(path: String) {
        self.path = path
        var info = stat()
        isGit = lstat(path + "/.git", &info) == 0
        before = isGit ? [:] : Self.listing(path)
    }

    /// The changes since `init`, and the diff stat for a git checkout.
    func changes() async -> (files: [FileChange], diffStat: String?) {
        guard isGit else { return (Self.compare(before, Self.listing(path)), nil) }
        let status = await Self.git(["status", "--porcelain=v1", "--untracked-files=all"], in: path)
        let stat = await Self.git(["diff", "--stat", "HEAD"], in: path)
        let diff = stat.map { $0.trimmingWhitespace }.flatMap { $0.isEmpty ? nil : $0 }
        return (status.map(Self.parsePorcelain) ?? [], diff)
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
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
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

    /// Runs git without a shell; nil when it fails (git missing, not a repository, no HEAD yet).
    static func git(_ arguments: [String], in directory: String) async -> String? {
        guard let git = Executable.find("git") else { return nil }
        guard
            let child = try? Subprocess(
                Subprocess.Options(
                    git, ["-c", "core.quotepath=off"] + arguments, environment: ["GIT_OPTIONAL_LOCKS": "0"],
                    directory: directory, captureLimit: 256 * 1024))
        else { return nil }
        child.closeInput()
        let status = await child.exitEndingGroupOnCancel()
        return status == 0 ? child.output : nil
    }
}

/// Finding a program on PATH, as a shell would, without running one.
public enum Executable {
    /// `name` itself when it holds a slash; else the first executable `PATH` entry of that name.
    public static func find(_ name: String, path: String? = nil) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let search = path ?? (getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin")
        for dir in search.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = dir + "/" + name
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
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

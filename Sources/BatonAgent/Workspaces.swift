import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// Why a workspace could not be had.
public struct WorkspaceError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One directory per issue (or per job without one) under a root, reused across attempts of the
/// same issue, and never outside the root: names with `/` or `..` are refused, and so is a name
/// whose directory resolves (through a symlink) to somewhere else.
public struct Workspaces: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    /// A workspace ready to run in: `created` is true when the directory did not exist before
    /// (the `after_create` hook runs then).
    public struct Workspace: Sendable, Equatable {
        public var name: String
        public var path: String
        public var created: Bool
    }

    /// The directory name for a key: letters, digits, `.`, `_` and `-` kept, anything else `_`.
    /// Throws for keys that try to leave the root (`..`, `/`, absolute paths) or are empty.
    public static func name(for key: String) throws(WorkspaceError) -> String {
        guard !key.isEmpty, key.utf8.count <= 200 else {
            throw WorkspaceError("a workspace key must be 1 to 200 bytes")
        }
        guard !key.contains("/"), !key.contains("\\"), !key.contains("\0") else {
            throw WorkspaceError("a workspace key may not contain a path separator: \(key.debugDescription)")
        }
        guard key != ".", key != "..", !key.contains("..") else {
            throw WorkspaceError("a workspace key may not contain \"..\": \(key.debugDescription)")
        }
        let safe = String(
            key.unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": Character(scalar)
                default: "_"
                }
            })
        guard !safe.hasPrefix(".") else { throw WorkspaceError("a workspace key may not start with \".\"") }
        return safe
    }

    /// Creates (or reuses) the workspace for `key` and checks that it really is inside the root.
    public func prepare(key: String) throws(WorkspaceError) -> Workspace {
        let name = try Self.name(for: key)
        try Self.makeDirectories(root)
        guard let realRoot = Self.realPath(root) else { throw WorkspaceError("the workspace root \(root) is unusable") }
        let path = realRoot + "/" + name
        var created = false
        // 0700: one workspace's files are none of another user's business on a shared machine.
        if mkdir(path, 0o700) == 0 {
            created = true
        } else if errno != EEXIST {
            throw WorkspaceError("cannot create the workspace \(path): \(String(cString: strerror(errno)))")
        }
        // A symlink named like the workspace, pointing elsewhere, resolves outside the root.
        guard let resolved = Self.realPath(path), resolved == path else {
            throw WorkspaceError("the workspace \(name) resolves outside the root \(realRoot); refusing to use it")
        }
        var info = stat()
        guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw WorkspaceError("the workspace \(name) is not a directory")
        }
        return Workspace(name: name, path: resolved, created: created)
    }

    /// The real path of the existing workspace for `key`, or nil when there is none. Throws for a
    /// key that is not a workspace name (`..`, `/`, an absolute path) or whose directory resolves
    /// outside the root: what must be known before any hook runs in it.
    public func existing(key: String) throws(WorkspaceError) -> String? {
        let name = try Self.name(for: key)
        guard let realRoot = Self.realPath(root) else { return nil }
        let path = realRoot + "/" + name
        guard let resolved = Self.realPath(path) else { return nil }
        guard resolved == path else { throw WorkspaceError("the workspace \(name) resolves outside the root") }
        return path
    }

    /// Removes a workspace and everything in it (after the `before_remove` hook).
    public func remove(key: String) throws(WorkspaceError) {
        guard let path = try existing(key: key) else { return }
        Self.removeTree(path)
    }

    /// The workspaces under the root, by name (what a worker reports in its heartbeat).
    public func inventory(limit: Int = 1000) -> [String] {
        guard let dir = opendir(root) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while names.count < limit, let entry = readdir(dir) {
            let name = DirectoryEntry.name(entry)
            guard !name.hasPrefix("."), !name.isEmpty else { continue }
            var info = stat()
            if lstat(root + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { names.append(name) }
        }
        return names.sorted()
    }

    /// Bytes on disk under a workspace and the newest modification in it, walking the tree
    /// without following links, at most `limit` entries (a huge tree is reported as far as read).
    public func usage(_ name: String, limit: Int = 200_000) -> (bytes: Int64, modifiedMs: Int64)? {
        var info = stat()
        let top = root + "/" + name
        guard lstat(top, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
        var bytes: Int64 = 0
        var newest: Int64 = 0
        var seen = 0
        var pending = [top]
        while let path = pending.popLast(), seen < limit {
            guard lstat(path, &info) == 0 else { continue }
            seen += 1
            bytes += Int64(info.st_blocks) * 512
            newest = max(newest, Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000)
            guard (info.st_mode & S_IFMT) == S_IFDIR, let dir = opendir(path) else { continue }
            while let entry = readdir(dir) {
                let child = DirectoryEntry.name(entry)
                if child != "." && child != ".." { pending.append(path + "/" + child) }
            }
            closedir(dir)
        }
        return (bytes, newest)
    }

    // MARK: File system

    /// A new directory `/tmp/<prefix>-XXXXXX` (or under `TMPDIR`), mode 0700; nil when it cannot be made.
    static func makeTemporary(prefix: String) -> String? {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { return nil }
        return String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Makes `path` and the folders on the way; the last one (the root itself) 0700.
    static func makeDirectories(_ path: String) throws(WorkspaceError) {
        var current = path.hasPrefix("/") ? "" : "."
        let parts = path.split(separator: "/")
        for (i, part) in parts.enumerated() {
            current += "/" + part
            if mkdir(current, i == parts.count - 1 ? 0o700 : 0o755) != 0 && errno != EEXIST {
                throw WorkspaceError("cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Depth-first removal that never follows symlinks (a link is removed, not its target).
    static func removeTree(_ path: String) {
        // Walked through directory descriptors that never follow a link: an agent's process still
        // running cannot swap a folder for a symlink mid-walk and make Baton delete elsewhere.
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            unlink(path)
            return
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }
        removeContents(of: fd)
        close(fd)
        rmdir(path)
    }

    /// Removes everything inside the directory `fd` (which it leaves open).
    private static func removeContents(of fd: Int32, depth: Int = 0) {
        guard depth < 256, let dir = fdopendir(dup(fd)) else { return }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = DirectoryEntry.name(entry)
            if name != "." && name != ".." { names.append(name) }
        }
        for name in names {
            var info = stat()
            guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 {
                    removeContents(of: child, depth: depth + 1)
                    close(child)
                }
                unlinkat(fd, name, AT_REMOVEDIR)
            } else {
                unlinkat(fd, name, 0)
            }
        }
    }
}

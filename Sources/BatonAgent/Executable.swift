#if canImport(Glibc)
    import Glibc
#endif

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

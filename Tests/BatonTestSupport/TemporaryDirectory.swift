#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory under /tmp, removed with everything in it by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "baton-test") {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    /// Writes `contents` to `relative` inside the directory, making the folders on the way.
    public func write(_ relative: String, _ contents: String) {
        var folder = path
        for part in relative.split(separator: "/").dropLast() {
            folder += "/" + part
            mkdir(folder, 0o755)
        }
        let fd = open(path + "/" + relative, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        precondition(fd >= 0, "cannot create \(relative)")
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        precondition(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count)
    }

    /// Makes an empty folder `relative` (and those on the way).
    public func makeFolder(_ relative: String) {
        var folder = path
        for part in relative.split(separator: "/") {
            folder += "/" + part
            mkdir(folder, 0o755)
        }
    }

    public func remove() {
        _ = try? ChildProcess.run("/bin/rm", ["-rf", path])
    }
}

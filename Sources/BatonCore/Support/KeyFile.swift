#if canImport(Glibc)
    import Glibc
#endif

/// Small secret files in the data directory (`admin.key`, `keyhash.key`): owner-only (0600),
/// written atomically (temp file, fsync, rename) so a crash never leaves half a key.
public enum KeyFile {
    public enum Failure: Error, CustomStringConvertible {
        case io(path: String, reason: String)
        public var description: String {
            switch self {
            case .io(let path, let reason): "\(path): \(reason)"
            }
        }
    }

    /// The file's bytes, or nil when it does not exist.
    public static func read(_ path: String) throws(Failure) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .io(path: path, reason: lastError())
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, reason: lastError())
            }
            if n == 0 { break }
            out += buffer[..<n]
            if out.count > 1 << 20 { throw .io(path: path, reason: "larger than 1 MiB, not a key file") }
        }
        return out
    }

    /// Replaces `path` with `bytes`, mode 0600, atomically and durably.
    public static func write(_ path: String, _ bytes: [UInt8]) throws(Failure) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: temporary, reason: lastError()) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = lastError()
                close(fd)
                unlink(temporary)
                throw .io(path: temporary, reason: reason)
            }
            offset += n
        }
        guard fsync(fd) == 0, close(fd) == 0 else {
            let reason = lastError()
            unlink(temporary)
            throw .io(path: temporary, reason: reason)
        }
        guard rename(temporary, path) == 0 else {
            let reason = lastError()
            unlink(temporary)
            throw .io(path: path, reason: reason)
        }
        // Make the rename itself durable.
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let dirFD = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    private static func lastError() -> String {
        let code = errno
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

import BatonCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Small secret files in the data directory (`admin.key`, `keyhash.key`): owner-only (0600),
/// written atomically (temp file, fsync, rename) so a crash never leaves half a key. The temporary
/// file has an unpredictable name and is created exclusively (`O_EXCL`, `O_NOFOLLOW`), so nobody
/// can plant a file or a symlink there for the write to go through.
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
        let (temporary, fd) = try createTemporary(next: path)
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

    /// A new file beside `path`, named `<path>.tmp-<24 random hex digits>`, created exclusively
    /// with mode 0600; another name is drawn if one is taken (a few times, then it is an error).
    static func createTemporary(next path: String) throws(Failure) -> (path: String, fd: Int32) {
        for _ in 0..<4 {
            let temporary = path + ".tmp-" + Hex.encode(SecureRandom.bytes(12))
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 { return (temporary, fd) }
            guard errno == EEXIST else { throw .io(path: temporary, reason: lastError()) }
        }
        throw .io(path: path, reason: "cannot create a temporary file beside it")
    }

    private static func lastError() -> String {
        let code = errno
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

import CLinux
import Glibc

/// A failed socket call, with the errno text.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let code: Int32
    public var description: String { "\(operation): \(String(cString: strerror(code)))" }

    init(_ operation: String, code: Int32 = baton_errno()) {
        self.operation = operation
        self.code = code
    }
}

/// The few socket operations the server needs, over raw file descriptors.
enum Socket {
    /// A non-blocking listening TCP socket bound to `host:port` (`port` 0: any free port).
    static func listen(host: String, port: Int, backlog: Int32 = 4096) throws -> (fd: Int32, host: String, port: Int) {
        var address = sockaddr_storage()
        var length = socklen_t(0)
        let numeric = host == "localhost" ? "127.0.0.1" : host
        guard baton_make_sockaddr(numeric, Int32(port), &address, &length) == 0 else {
            throw SocketError("host '\(host)' is not a numeric IPv4/IPv6 address", code: EINVAL)
        }
        let fd = baton_stream_socket(Int32(address.ss_family))
        guard fd >= 0 else { throw SocketError("socket") }
        // Restarts must not wait for old connections in TIME_WAIT to expire.
        _ = baton_set_reuseaddr(fd)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let error = SocketError("bind \(host):\(port)")
            Glibc.close(fd)
            throw error
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = SocketError("listen")
            Glibc.close(fd)
            throw error
        }
        let local = localAddress(fd)
        return (fd, local?.host ?? host, local?.port ?? port)
    }

    static func localAddress(_ fd: Int32) -> (host: String, port: Int)? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { return nil }
        return format(address)
    }

    static func format(_ address: sockaddr_storage) -> (host: String, port: Int)? {
        var address = address
        var text = [CChar](repeating: 0, count: 64)
        let port = baton_format_sockaddr(&address, &text, socklen_t(text.count))
        guard port >= 0 else { return nil }
        let host = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (host, Int(port))
    }

    /// `ip:port` (IPv6 in brackets) of a `format`ted address, or "" for other families.
    static func describePeer(_ peer: (host: String, port: Int)?) -> String {
        guard let (host, port) = peer else { return "" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Lifts the soft open-file limit to the hard limit: each connection is a descriptor, and the
    /// usual soft limit (1024) is far below `maxConnections`.
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// The monotonic clock in nanoseconds, for deadlines.
    @inline(__always) static func monotonicNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

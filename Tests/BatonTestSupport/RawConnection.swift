#if canImport(Glibc)
    import Glibc
#endif

/// A blocking loopback TCP client for tests that must read a response as it streams (SSE).
public final class RawConnection: @unchecked Sendable {
    public let fd: Int32
    public private(set) var received: [UInt8] = []

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawConnectionError.failed("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw RawConnectionError.failed("connect")
        }
    }

    public func send(_ text: String) throws {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw RawConnectionError.failed("send") }
            offset += n
        }
    }

    public var text: String { String(decoding: received, as: UTF8.self) }

    /// How long a wait for an answer lasts by default: it ends as soon as the answer is in, so the
    /// bound only ends a hang, and is long enough for a loaded two-core machine running every suite
    /// (a few seconds' stall there is common). A wait whose length is what a test checks says so.
    public static let defaultTimeoutMs = 30_000

    /// Reads until `done(text)` holds or `timeoutMs` passes; returns whether it held.
    @discardableResult
    public func read(until done: (String) -> Bool, timeoutMs: Int = defaultTimeoutMs) -> Bool {
        var waited = 0
        while !done(text) {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 50)
            if ready == 0 {
                waited += 50
                if waited >= timeoutMs { return false }
                continue
            }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return done(text) }
            received += buffer[0..<n]
        }
        return true
    }

    /// `read(until:)` on its own thread.
    public func awaitText(timeoutMs: Int = defaultTimeoutMs, until done: @escaping @Sendable (String) -> Bool) async
        -> Bool
    {
        (try? await offPool { self.read(until: done, timeoutMs: timeoutMs) }) ?? false
    }

    public func awaitEOF(timeoutMs: Int = defaultTimeoutMs) async -> Bool {
        (try? await offPool { self.readsEOF(timeoutMs: timeoutMs) }) ?? false
    }

    /// Whether the peer has closed the connection (reads EOF within `timeoutMs`).
    public func readsEOF(timeoutMs: Int = defaultTimeoutMs) -> Bool {
        var waited = 0
        while waited < timeoutMs {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 50) > 0 {
                var buffer = [UInt8](repeating: 0, count: 65536)
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { return true }
                received += buffer[0..<n]
            } else {
                waited += 50
            }
        }
        return false
    }

    deinit { close(fd) }
}

public enum RawConnectionError: Error {
    case failed(String)
}

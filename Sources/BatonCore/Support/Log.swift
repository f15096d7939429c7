import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Baton's diagnostic log: one timestamped line per message on stderr. Lines from different
/// threads never interleave.
public enum Log {
    private static let lock = Mutex(())

    @Sendable
    public static func write(_ message: String) {
        var line = Timestamp.now() + " " + message + "\n"
        lock.withLock { _ in
            line.withUTF8 { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if n <= 0 { if errno == EINTR { continue } else { return } }
                    offset += n
                }
            }
        }
    }
}

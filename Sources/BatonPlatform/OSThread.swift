import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A dedicated OS thread, for blocking work that must stay off Swift's cooperative pool
/// (epoll_wait, SQLite, curl). Plain pthreads: Foundation's Thread would pull Foundation, and with
/// it ICU, into a server whose idle memory is budgeted.
public enum OSThread {
    private final class Start {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new detached thread named `name` (Linux keeps the first 15 bytes).
    public static func detach(name: String, _ body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let rc = pthread_create(
            &thread, &attributes,
            { raw in
                let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
                _ = pthread_setname_np(pthread_self(), String(start.name.utf8.prefix(15))!)
                start.body()
                return nil
            }, start)
        pthread_attr_destroy(&attributes)
        precondition(rc == 0, "pthread_create failed: \(rc)")
    }

    /// Whether two thread ids name the same thread.
    public static func isCurrent(_ id: pthread_t) -> Bool { pthread_equal(id, pthread_self()) != 0 }

    public static var currentID: pthread_t { pthread_self() }

    /// The calling thread's name, as `ps -L` shows it.
    public static var currentName: String {
        var buffer = [CChar](repeating: 0, count: 32)
        guard pthread_getname_np(pthread_self(), &buffer, buffer.count) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

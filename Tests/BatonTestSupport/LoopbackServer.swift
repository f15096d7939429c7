import BatonHTTP
import Synchronization

/// A real server on a free loopback port for a fake's responder (a provider, Linear, …).
public final class LoopbackServer: Sendable {
    private let server = Mutex<HTTPServer?>(nil)

    public init() {}

    /// Starts `responder` on 127.0.0.1 and a free port; returns `http://127.0.0.1:PORT`.
    public func start(_ responder: any HTTPResponder) throws -> String {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, responder: responder)
        let bound = try server.start()
        self.server.withLock { $0 = server }
        return "http://127.0.0.1:\(bound.port)"
    }

    public func stop() async { await server.withLock { $0 }?.shutdown() }
}

import BatonHTTP
import BatonJSON
import Synchronization

/// A loopback server playing an LLM provider with its real wire format: each request is recorded
/// and answered by the next scripted reply.
public final class FakeProvider: HTTPResponder, Sendable {
    public struct Seen: Sendable {
        public var method: HTTPMethod
        public var path: String
        public var headers: HTTPHeaders
        public var body: JSONValue
    }

    private let replies: Mutex<[HTTPResponse]>
    private let seen = Mutex<[Seen]>([])
    private let server = Mutex<HTTPServer?>(nil)

    public init(_ replies: [HTTPResponse]) { self.replies = Mutex(replies) }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        seen.withLock {
            $0.append(
                Seen(
                    method: request.method, path: request.path, headers: request.headers,
                    body: (try? JSONParser.parse(request.body)) ?? .null))
        }
        return replies.withLock {
            $0.isEmpty ? .json(.internalServerError, #"{"error":"no reply scripted"}"#) : $0.removeFirst()
        }
    }

    public var requests: [Seen] { seen.withLock { $0 } }

    /// Starts on a free loopback port and returns `http://127.0.0.1:PORT`.
    public func start() throws -> String {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, responder: self)
        let bound = try server.start()
        self.server.withLock { $0 = server }
        return "http://127.0.0.1:\(bound.port)"
    }

    public func stop() async { await server.withLock { $0 }?.shutdown() }
}

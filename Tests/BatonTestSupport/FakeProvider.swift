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
    private let loopback = LoopbackServer()

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
    public func start() throws -> String { try loopback.start(self) }

    public func stop() async { await loopback.stop() }
}

import BatonHTTP
import BatonTestSupport
import Dispatch
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The Python fixture server (Fixtures/http_fixture.py), started once per test process and shared
/// by every client test. It exits by itself when this process ends (its stdin closes).
enum HTTPFixture {
    /// `http://127.0.0.1:<port>`
    static func baseURL() async throws -> String { try await server.value }

    private static let server = Task<String, any Error> {
        // Starting a process and reading its first line block: keep that off the cooperative pool.
        try await offPool { try launch() }
    }

    /// Kept for the life of the test process: closing its stdin would stop the server.
    nonisolated(unsafe) private static var running: ChildProcess?

    private static func launch() throws -> String {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/http_fixture.py").path
        let child = try ChildProcess("/usr/bin/env", ["python3", script])
        running = child
        guard let line = child.waitForOutput(containing: "\n", timeout: 30),
            let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw FixtureError.noPort }
        return "http://127.0.0.1:\(port)"
    }

    enum FixtureError: Error { case noPort }

    /// A tag for `/sleep?tag=`, new each call, so tests sharing the fixture do not count each other.
    static func newTag() -> String { UUID().uuidString }

    /// How many `/sleep` requests tagged `tag` have reached the fixture (0 if it cannot be asked).
    static func arrived(_ tag: String) async -> Int {
        guard let base = try? await baseURL(),
            let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/arrived?tag=" + tag))
        else { return 0 }
        return Int(response.text) ?? 0
    }

    /// A loopback port with nothing listening: bound once to get a free number, then closed.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// What /echo answers.
struct Echo: Decodable {
    let method: String
    let path: String
    let headers: [[String]]
    let body_base64: String

    var body: [UInt8] { Array(Data(base64Encoded: body_base64) ?? Data()) }

    func header(_ name: String) -> String? {
        headers.first { $0[0].lowercased() == name.lowercased() }?[1]
    }

    init(_ response: HTTPClientResponse) throws {
        self = try JSONDecoder().decode(Echo.self, from: Data(response.body))
    }
}

/// Runs `body` and returns how long it took with its result.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, ContinuousClock.now - start)
}

/// The typed error a request failed with, or nil if it succeeded.
func failure(of request: HTTPClientRequest, client: HTTPClient = .shared) async -> HTTPClientError? {
    do {
        _ = try await client.execute(request)
        return nil
    } catch {
        return error
    }
}

/// The routes both clients are tested against on Baton's own server: an echo, a chunked event
/// stream and a path parameter with a query.
enum ClientTestRoutes {
    static func register(on b: RouterBuilder) {
        b.post("/echo") { request, _ in
            HTTPResponse(
                status: .created, headers: ["Content-Type": request.headers["Content-Type"] ?? "none"],
                bytes: request.body)
        }
        b.get("/stream") { _, _ in
            .eventStream { writer in
                for i in 1...3 { try await writer.write(ServerSentEvent(id: "\(i)", data: "n\(i)").encoded()) }
            }
        }
        b.get("/query/:name") { request, context in
            .text(.ok, "\(context.parameters["name"] ?? "")|\(request.queryValue("q") ?? "")")
        }
    }
}

import CCurl
import Synchronization

/// Outbound HTTP/1.1 over libcurl (opened on first use, see CCurl/shim.h). Every transfer runs on the client's own thread; callers only
/// suspend, so no cooperative-pool thread ever blocks on the network. Connections are reused.
public final class HTTPClient: Sendable {
    /// A process-wide client; its thread starts on first use.
    public static let shared = HTTPClient()

    /// nil until the first request: opening libcurl, its TLS state and the loop thread costs
    /// memory that a process holding a client it never uses should not pay.
    private let state = Mutex<(loop: CurlMultiLoop?, started: Bool, shutDown: Bool)>((nil, false, false))

    /// The loop thread starts with the first request. If libcurl cannot initialise, every request
    /// fails with `transport`.
    public init() {}

    deinit { state.withLock { $0.loop }?.shutdown() }

    /// The loop, started on first use; nil when libcurl cannot initialise or after `shutdown`.
    private var loop: CurlMultiLoop? {
        state.withLock { s in
            if !s.started && !s.shutDown {
                s.started = true
                s.loop = CurlMultiLoop()
            }
            return s.shutDown ? nil : s.loop
        }
    }

    /// Sends the request and returns the response, whatever its status. Cancelling the calling
    /// task aborts the transfer promptly and throws `cancelled`.
    public func execute(_ request: HTTPClientRequest) async throws(HTTPClientError)
        -> HTTPClientResponse
    {
        if state.withLock({ $0.shutDown }) { throw .cancelled }
        guard let loop else {
            throw .transport(
                code: -1,
                message: baton_curl_available() == 1
                    ? "libcurl failed to initialise"
                    : "libcurl is not installed (libcurl.so.4 could not be opened; install libcurl4)")
        }
        guard let id = loop.register() else { throw .cancelled }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                loop.submit(id, request, continuation)
            }
        } onCancel: {
            loop.cancel(id)
        }
        return try result.get()
    }

    /// Fails pending requests with `cancelled` and stops the thread; later requests fail the same.
    public func shutdown() {
        let running = state.withLock { s -> CurlMultiLoop? in
            s.shutDown = true
            return s.loop
        }
        running?.shutdown()
    }
}

import CCurl

/// Outbound HTTP/1.1 over libcurl (opened on first use, see CCurl/shim.h). Every transfer runs on the client's own thread; callers only
/// suspend, so no cooperative-pool thread ever blocks on the network. Connections are reused.
public final class HTTPClient: Sendable {
    /// A process-wide client; its thread starts on first use.
    public static let shared = HTTPClient()

    private let loop: CurlMultiLoop?

    /// Starts a loop thread. If libcurl cannot initialise, every request fails with `transport`.
    public init() {
        loop = CurlMultiLoop()
    }

    deinit { loop?.shutdown() }

    /// Sends the request and returns the response, whatever its status. Cancelling the calling
    /// task aborts the transfer promptly and throws `cancelled`.
    public func execute(_ request: HTTPClientRequest) async throws(HTTPClientError)
        -> HTTPClientResponse
    {
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
        loop?.shutdown()
    }
}

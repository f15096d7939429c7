/// Limits and tuning for `HTTPServer`. The defaults are SPEC §2.1's (`server.*` config keys).
public struct HTTPServerConfiguration: Sendable {
    /// Numeric IPv4/IPv6 address or `localhost`.
    public var host: String = "127.0.0.1"
    /// 0 binds any free port; `HTTPServer.start()` returns the one chosen.
    public var port: Int = 4000
    /// Request line plus header fields (and, separately, chunked trailers); beyond it: 431.
    public var maxHeaderBytes: Int = 16384
    /// Request body; a larger Content-Length is refused with 413 before the body is read.
    public var maxBodyBytes: Int = 1_048_576
    /// Time from a request's first byte (or from connecting) to the end of its header block.
    public var headerTimeout: Duration = .seconds(10)
    /// How long a keep-alive connection may sit between requests (also bounds body read stalls).
    public var idleTimeout: Duration = .seconds(60)
    /// Time from the end of a request's header block to the end of its body, however steadily
    /// the body trickles in; beyond it: 408.
    public var bodyTimeout: Duration = .seconds(60)
    /// Connections beyond this get a 503 and are closed.
    public var maxConnections: Int = 10_000
    /// Open connections one remote address (the peer's IP, any port) may hold; more get a 503
    /// and are closed.
    public var maxConnectionsPerSource: Int = 256
    /// Threads running event loops, each with its own epoll and its own connections; one accepts
    /// and deals connections round-robin to all (SPEC §2.1). `baton serve` sets it from
    /// `server.event_loops` (default: the usable CPUs); 1 serves everything on one thread.
    public var eventLoopCount: Int = 1
    /// How long `shutdown()` waits for in-flight requests before closing everything.
    public var shutdownGracePeriod: Duration = .seconds(10)

    public init() {}

    public init(
        host: String = "127.0.0.1", port: Int = 4000, maxHeaderBytes: Int = 16384,
        maxBodyBytes: Int = 1_048_576, headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60), bodyTimeout: Duration = .seconds(60), maxConnections: Int = 10_000,
        maxConnectionsPerSource: Int = 256, eventLoopCount: Int = 1, shutdownGracePeriod: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerSource = maxConnectionsPerSource
        self.eventLoopCount = eventLoopCount
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}

extension Duration {
    /// Whole nanoseconds, saturating; negative durations count as zero.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (ns, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return UInt64.max / 2 }
        return ns + UInt64(attoseconds / 1_000_000_000)
    }
}

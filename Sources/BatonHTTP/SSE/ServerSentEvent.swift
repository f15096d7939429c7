import BatonPlatform

/// One Server-Sent Events message, encoded per the WHATWG HTML event-stream format.
public struct ServerSentEvent: Sendable, Equatable {
    public var id: String?
    public var event: String?
    public var data: String
    public var retry: Int?

    public init(id: String? = nil, event: String? = nil, data: String, retry: Int? = nil) {
        self.id = id
        self.event = event
        self.data = data
        self.retry = retry
    }

    /// Every line of `data` (split at CR, LF or CRLF) gets its own `data:` line, so a client
    /// reassembles it exactly. Line breaks in `id` and `event` would start new fields, so they are
    /// replaced by spaces; NUL in an id makes browsers ignore it, so it is dropped.
    public func encoded() -> [UInt8] {
        var out = ""
        if let id { out += "id: " + String(Self.singleLine(id).filter { $0 != "\0" }) + "\n" }
        if let event { out += "event: " + Self.singleLine(event) + "\n" }
        if let retry { out += "retry: \(max(0, retry))\n" }
        for line in Self.lines(data) { out += "data: " + line + "\n" }
        out += "\n"
        return Array(out.utf8)
    }

    /// A comment line (ignored by clients), used as a heartbeat.
    public static func comment(_ text: String) -> [UInt8] {
        Array((": " + singleLine(text) + "\n\n").utf8)
    }

    static func lines(_ text: String) -> [Substring] {
        var lines: [Substring] = []
        var start = text.startIndex
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            // Swift treats "\r\n" as one Character, so a single check covers all three breaks.
            if c == "\n" || c == "\r" || c == "\r\n" {
                lines.append(text[start..<i])
                i = text.index(after: i)
                start = i
            } else {
                i = text.index(after: i)
            }
        }
        lines.append(text[start...])
        return lines
    }

    static func singleLine(_ text: String) -> String {
        String(text.map { ($0 == "\n" || $0 == "\r" || $0 == "\r\n") ? " " : $0 })
    }
}

extension HTTPResponse {
    /// A `text/event-stream` response whose body `produce` writes over time.
    public static func eventStream(_ produce: @escaping @Sendable (any ResponseBodyWriter) async throws -> Void)
        -> HTTPResponse
    {
        HTTPResponse(
            status: .ok,
            headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"],
            body: .stream(produce))
    }
}

extension HTTPRequest {
    /// The id a reconnecting EventSource last saw (`Last-Event-ID`), nil when absent or empty:
    /// browsers send an empty value after an event that reset the id, which means "none".
    public var lastEventID: String? {
        guard let value = headers["Last-Event-ID"]?.trimming(while: { $0 == " " }), !value.isEmpty else {
            return nil
        }
        return value
    }
}

extension String {
}

extension ResponseBodyWriter {
    /// Writes one encoded event; throws `ResponseBodyWriterError.closed` once the client has gone.
    public func write(_ event: ServerSentEvent) async throws {
        try await write(event.encoded())
    }

    /// Writes a comment line, e.g. the heartbeat that keeps proxies from closing an idle stream.
    public func writeComment(_ text: String) async throws {
        try await write(ServerSentEvent.comment(text))
    }
}

import Synchronization

/// Gives every request an id, echoed in `X-Request-Id`: the client's own when it is 1–128 visible
/// ASCII characters, else a new one. New ids are a random per-process prefix plus a counter: unique,
/// and cheap enough for every request.
public struct RequestIDMiddleware: HTTPStepMiddleware {
    /// The random prefix and its dash, as the bytes every id starts with.
    private static let prefix: [UInt8] = {
        var rng = SystemRandomNumberGenerator()
        let n = rng.next() as UInt64
        let hex = String(n, radix: 16)
        return Array((String(repeating: "0", count: 16 - hex.count) + hex + "-").utf8)
    }()
    private static let counter = Atomic<UInt64>(0)

    public init() {}

    public func before(_ request: HTTPRequest, context: inout RequestContext) -> Bool {
        if let given = request.headers["X-Request-Id"], Self.isAcceptable(given) {
            context.requestID = given
        } else {
            context.requestID = Self.generate()
        }
        return true
    }

    public func after(_ request: HTTPRequest, context: RequestContext, response: inout HTTPResponse) {
        response.headers.replace("X-Request-Id", context.requestID)
    }

    static func isAcceptable(_ id: String) -> Bool {
        let utf8 = id.utf8
        return !utf8.isEmpty && utf8.count <= 128 && utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    static func generate() -> String { format(counter.add(1, ordering: .relaxed).newValue) }

    /// The prefix, then `n` in lower-case hex, written straight into one string: this runs on
    /// every request without an id of its own.
    static func format(_ n: UInt64) -> String {
        let digits = max(1, (UInt64.bitWidth - n.leadingZeroBitCount + 3) / 4)
        return String(unsafeUninitializedCapacity: prefix.count + digits) { buffer in
            _ = buffer.initialize(from: prefix)
            var rest = n
            for i in stride(from: prefix.count + digits - 1, through: prefix.count, by: -1) {
                let digit = UInt8(truncatingIfNeeded: rest & 0xF)
                buffer[i] = digit < 10 ? 48 + digit : 87 + digit
                rest >>= 4
            }
            return prefix.count + digits
        }
    }
}

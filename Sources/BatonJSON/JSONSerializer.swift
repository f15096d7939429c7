extension JSONValue {
    /// Compact JSON text with object keys sorted by their UTF-8 bytes.
    public var text: String {
        var out = JSONBytes()
        out.write(self, pretty: false, indent: 0)
        return out.string
    }

    /// Indented JSON text (two spaces), keys sorted, for people and files.
    public var prettyText: String {
        var out = JSONBytes()
        out.write(self, pretty: true, indent: 0)
        return out.string
    }

    /// Compact JSON as UTF-8 bytes (what a response body or a hash wants), keys sorted.
    public var utf8Bytes: [UInt8] {
        var out = JSONBytes()
        out.write(self, pretty: false, indent: 0)
        return out.bytes
    }
}

/// The serialiser: appends UTF-8 to one growing byte buffer (no intermediate Strings; on the
/// write path every event, audit entry and response body goes through here).
struct JSONBytes {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(256) }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func append(_ ascii: StaticString) {
        ascii.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: JSONValue, pretty: Bool, indent: Int) {
        switch value {
        case .null: append("null")
        case .bool(let b): b ? append("true") : append("false")
        case .int(let n): bytes.append(contentsOf: String(n).utf8)
        case .double(let d): bytes.append(contentsOf: JSONSerializer.format(d).utf8)
        case .string(let s): JSONText.appendQuoted(s, to: &bytes)
        case .verbatim(let text): bytes.append(contentsOf: text.utf8)
        case .array(let items):
            if items.isEmpty {
                append("[]")
                return
            }
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                if pretty { newline(indent + 1) }
                write(item, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(indent) }
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            if fields.isEmpty {
                append("{}")
                return
            }
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for (key, item) in fields.sorted(by: { JSONText.utf8Precedes($0.key, $1.key) }) {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                if pretty { newline(indent + 1) }
                JSONText.appendQuoted(key, to: &bytes)
                pretty ? append(": ") : bytes.append(UInt8(ascii: ":"))
                write(item, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(indent) }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func newline(_ indent: Int) {
        bytes.append(UInt8(ascii: "\n"))
        for _ in 0..<indent { append("  ") }
    }
}

enum JSONSerializer {
    /// JSON has no NaN or infinity; they serialise as null rather than producing invalid text.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) + ".0" }
        return String(d)
    }
}

/// JSON string quoting, shared by every module that writes JSON by hand on a hot path.
public enum JSONText {
    public static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `s` as a quoted JSON string. Escapes `"`, `\\`, control characters, and U+2028/2029
    /// (valid JSON, but they break JavaScript embedding). Runs of plain bytes are copied whole.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        var text = s
        text.withUTF8 { appendQuoted(utf8: $0, to: &out) }
    }

    /// `appendQuoted` for text that is already UTF-8 bytes (a column read in place, say). The
    /// bytes must be valid UTF-8: they are copied as they are, where a `String` made from them
    /// would have replaced invalid sequences first.
    public static func appendQuoted(utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        var i = 0
        let n = utf8.count
        while i < n {
            let byte = utf8[i]
            var escape: StaticString?
            var width = 1
            switch byte {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case 0xE2 where i + 2 < n && utf8[i + 1] == 0x80 && (utf8[i + 2] == 0xA8 || utf8[i + 2] == 0xA9):
                escape = utf8[i + 2] == 0xA8 ? "\\u2028" : "\\u2029"
                width = 3
            default:
                if byte >= 0x20 {
                    i += 1
                    continue
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
            if let escape {
                escape.withUTF8Buffer { out.append(contentsOf: $0) }
            } else {
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30])
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0F))
            }
            i += width
            runStart = i
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<n]))
        out.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// Whether `a` sorts before `b` by UTF-8 bytes (the canonical key order). Native strings are
    /// compared in place; anything else through the UTF-8 view.
    public static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        let inPlace = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool in
                let common = min(x.count, y.count)
                if common > 0, let xb = x.baseAddress, let yb = y.baseAddress {
                    let c = memcmpBytes(xb, yb, common)
                    if c != 0 { return c < 0 }
                }
                return x.count < y.count
            }
        }
        if let inPlace, let result = inPlace { return result }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    @inline(__always)
    private static func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Int {
        for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return 0
    }
}

/// Pieces of the Prometheus text exposition format 0.0.4.
public enum PrometheusText {
    /// The `Content-Type` of `MetricsRegistry.exposition()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Sample values and `le` bounds as Prometheus writes them: `3` not `3.0`, `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        // Whole numbers below 1e15 print exactly as integers; beyond, the shortest round-trip form
        // (`1e+16`, `0.005`, `1e-05`) is what Go's ParseFloat, and so Prometheus, reads.
        if value == value.rounded(.towardZero), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }

    /// HELP text escapes only backslash and newline.
    static func escapeHelp(_ text: String) -> String {
        escape(text, quote: false)
    }

    /// Label values also escape the double quote.
    static func escapeLabelValue(_ text: String) -> String {
        escape(text, quote: true)
    }

    private static func escape(_ text: String, quote: Bool) -> String {
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x0A || (quote && $0 == 0x22) }) else {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for ch in text.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quote: out += "\\\""
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// `{a="x",b="y"}`, or nothing when there are no labels. `extra` is the histogram's `le`.
    static func labelSet(_ names: [String], _ values: [String], extra: (String, String)? = nil)
        -> String
    {
        if names.isEmpty && extra == nil { return "" }
        var out = "{"
        for (i, name) in names.enumerated() {
            if i > 0 { out += "," }
            out += name + "=\"" + escapeLabelValue(values[i]) + "\""
        }
        if let (name, value) = extra {
            if !names.isEmpty { out += "," }
            out += name + "=\"" + value + "\""
        }
        return out + "}"
    }
}

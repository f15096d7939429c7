/// Name rules of the Prometheus data model, checked on bytes so no regex engine is needed.
enum MetricNames {
    static func isValidMetricName(_ name: String) -> Bool {
        isValid(name, allowColon: true)
    }

    /// Label names may not contain `:` and `__…` is reserved for Prometheus itself.
    static func isValidLabelName(_ name: String) -> Bool {
        isValid(name, allowColon: false) && !name.hasPrefix("__")
    }

    private static func isValid(_ name: String, allowColon: Bool) -> Bool {
        var first = true
        for byte in name.utf8 {
            let ok: Bool
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "_"):
                ok = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"): ok = !first
            case UInt8(ascii: ":"): ok = allowColon
            default: ok = false
            }
            if !ok { return false }
            first = false
        }
        return !first
    }
}

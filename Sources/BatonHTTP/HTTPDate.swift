import Glibc

/// The `Date` header line (RFC 9110 §5.6.7 IMF-fixdate), rebuilt at most once a second so
/// responses copy cached bytes instead of formatting a date each time. Confined to one loop thread.
struct HTTPDateCache {
    private(set) var line: [UInt8] = []
    private var second: Int = -1

    /// Refreshes the cached line if the wall-clock second changed.
    mutating func update() {
        let now = time(nil)
        guard now != second else { return }
        second = now
        line = Array("Date: \(HTTPDateCache.format(now))\r\n".utf8)
    }

    static func format(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(1900 + tm.tm_year) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// RFC 3339 UTC timestamps with milliseconds (`2026-11-22T10:52:52.123Z`), the one time format in
/// Baton's API, its database and the worker protocol (both sides format and read it here; BatonCore
/// re-exports it). Formatting is done by hand: it is on hot paths and must not depend on
/// locale-aware formatters.
public enum Timestamp {
    /// Milliseconds since the Unix epoch, from the real-time clock.
    public static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    public static func now() -> String { format(milliseconds: nowMilliseconds()) }

    /// `2026-12-01T18:58:32.123Z`. Written digit by digit into one small buffer: every event, audit
    /// entry and job row carries timestamps, and joining eight padded strings was measurable.
    public static func format(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds.floorDiv(1000))
        // Not `milliseconds - seconds * 1000`: for Int64.min that product overflows and traps.
        let ms = Int((milliseconds % 1000 + 1000) % 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        guard (0...9999).contains(year) else { return slowFormat(year: year, parts, ms) }
        return String(unsafeUninitializedCapacity: 24) { out in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var v = value
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    out[i] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
            }
            put(year, 4, at: 0)
            out[4] = UInt8(ascii: "-")
            put(Int(parts.tm_mon) + 1, 2, at: 5)
            out[7] = UInt8(ascii: "-")
            put(Int(parts.tm_mday), 2, at: 8)
            out[10] = UInt8(ascii: "T")
            put(Int(parts.tm_hour), 2, at: 11)
            out[13] = UInt8(ascii: ":")
            put(Int(parts.tm_min), 2, at: 14)
            out[16] = UInt8(ascii: ":")
            put(Int(parts.tm_sec), 2, at: 17)
            out[19] = UInt8(ascii: ".")
            put(ms, 3, at: 20)
            out[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// Milliseconds since the Unix epoch of `2026-12-01T18:58:32.123Z`, exactly as `format` writes
    /// it (24 characters, UTC, years 0000–9999, a real calendar date); nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        for b in text.utf8 {
            guard bytes.count < 24 else { return nil }
            bytes.append(b)
        }
        guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes[19] == UInt8(ascii: "."), bytes[23] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ offset: Int, _ width: Int) -> Int? {
            var value = 0
            for b in bytes[offset..<offset + width] {
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), let ms = number(20, 3),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60,
            second < 60
        else { return nil }
        let days = Int64(daysFromEpoch(year: year, month: month, day: day))
        return ((days * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000 + Int64(second) * 1000 + Int64(ms)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's
    /// days_from_civil), so parsing needs neither `timegm` nor the process's time zone.
    private static func daysFromEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Years outside 0–9999 (never seen from a real clock) keep the general padding.
    private static func slowFormat(year: Int, _ parts: tm, _ ms: Int) -> String {
        pad(year, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2) + "T"
            + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2) + "."
            + pad(ms, 3) + "Z"
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

extension Int64 {
    fileprivate func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}

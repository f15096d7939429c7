/// A calendar period in UTC, for cost reports and budgets: today, this ISO week (from Monday), or
/// this month.
public enum CostPeriod: String, Sendable, CaseIterable {
    case day, week, month

    /// Milliseconds since the epoch at which the period containing `now` began.
    public func start(containing now: Int64) -> Int64 {
        let msPerDay: Int64 = 86_400_000
        var days = now / msPerDay
        if now % msPerDay < 0 { days -= 1 }
        switch self {
        case .day:
            break
        case .week:
            // 1970-01-01 was a Thursday: Monday-based weekday is (days + 3) mod 7.
            days -= ((days + 3) % 7 + 7) % 7
        case .month:
            let (y, m, _) = CivilDate.from(days: days)
            days = CivilDate.days(year: y, month: m, day: 1)
        }
        return days * msPerDay
    }
}

/// Days since 1970-01-01 and proleptic Gregorian dates, converted arithmetically.
enum CivilDate {
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func from(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    /// `self + other`, held at Int64's ends instead of trapping: for totals of figures from
    /// outside (workers' reports), where `+` would end the server on an overflow.
    public func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}

/// Why a metric could not be registered. Every case is a programmer error in the wiring code, so
/// callers usually `try!` at start-up; tests check the cases.
public enum MetricsError: Error, Sendable, Equatable {
    /// The name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    case invalidMetricName(String)
    /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*`, starts with `__`, is repeated,
    /// or is `le` on a histogram.
    case invalidLabelName(String)
    /// Counters must be named `…_total`.
    case counterNameMustEndInTotal(String)
    /// Help text is required: `promtool check metrics` warns without it.
    case missingHelp(String)
    /// Histogram buckets must be finite and strictly increasing (`+Inf` is added automatically).
    case invalidBuckets(String)
    /// The name (or one of the series names it produces) is already registered with a different
    /// type, help, label names or buckets.
    case conflictingRegistration(String)
}

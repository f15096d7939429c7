/// A refusal thrown inside a dispatcher transaction: checked before anything changed, so the
/// transaction rolls back and the dispatcher's memory is kept (any other error marks it for a
/// reload from SQLite). `DispatchError` for jobs and workers; the issue side has its own.
public protocol Refusal: Error, Sendable {}

extension DispatchError: Refusal {}

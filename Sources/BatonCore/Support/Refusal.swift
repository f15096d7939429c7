/// A refusal thrown inside a dispatcher transaction: checked before anything changed, so the
/// transaction rolls back and the dispatcher's memory is kept (any other error marks it for a
/// reload from SQLite). Each domain has its own: `DispatchError` for jobs and workers,
/// `IssueError` for issues, `TemplateStoreError` for templates.
public protocol Refusal: Error, Sendable {}

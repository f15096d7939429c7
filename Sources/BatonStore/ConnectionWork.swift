/// A unit of work for a connection thread, type-erased so one queue carries any result type.
protocol ConnectionWork: AnyObject, Sendable {
    /// False for work that manages its own transactions (migrations), which the writer runs alone.
    var isTransactional: Bool { get }
    /// Runs the body on the connection's thread; returns false if it threw.
    func run(_ connection: Connection) -> Bool
    /// Delivers the outcome to the caller: the body's error if it threw, else `failure` if the
    /// enclosing transaction did not commit, else the body's result. Called exactly once.
    func finish(failure: (any Error)?)
    /// When the writer queued it (`StatementProfile.now()`), stamped only while the writer is
    /// profiled; 0 otherwise.
    var queuedAt: Int { get set }
}

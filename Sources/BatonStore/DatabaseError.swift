/// Errors about how the database is used, as opposed to errors SQLite reports.
public enum DatabaseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The database was closed; nothing more can run on it.
    case closed
    /// A blocking call was made from one of the database's own threads (inside a `read` or
    /// `write` closure), which would deadlock.
    case reentrantCall
    /// The write connection is not in WAL mode (e.g. an in-memory database); Baton needs WAL.
    case walUnavailable(journalMode: String)

    public var description: String {
        switch self {
        case .closed: return "the database is closed"
        case .reentrantCall:
            return "a blocking database call was made from inside a read or write closure"
        case .walUnavailable(let mode):
            return "the database could not switch to WAL journal mode (it is \(mode))"
        }
    }
}

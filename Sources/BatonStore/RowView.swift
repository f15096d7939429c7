import CSQLite

/// The current row of a statement, read in place by column index: nothing is copied out until a
/// caller asks for it, so a hot read can write its answer straight from SQLite's buffers
/// (`Connection.withFirstRow`). Lent to a closure only and valid only inside it: after the
/// statement moves on, any use traps rather than read another row's (or freed) memory.
public struct RowView {
    let statement: Statement
    let generation: UInt64
    /// The number of result columns.
    public let count: Int

    init(statement: Statement, generation: UInt64) {
        self.statement = statement
        self.generation = generation
        count = Int(sqlite3_column_count(statement.handle))
    }

    /// The name of column `index` (its alias when the SELECT gives one).
    public func name(at index: Int) -> String {
        check(index)
        return sqlite3_column_name(statement.handle, Int32(index)).map { String(cString: $0) } ?? ""
    }

    /// Column `index`'s value, as `Row` would hold it.
    public func value(at index: Int) -> SQLValue {
        check(index)
        return statement.value(at: Int32(index))
    }

    public func isNull(at index: Int) -> Bool {
        check(index)
        return sqlite3_column_type(statement.handle, Int32(index)) == SQLITE_NULL
    }

    /// Calls `body` with column `index`'s UTF-8 bytes as SQLite holds them (not checked: a text
    /// `Row` holds has had invalid sequences replaced), when the column holds text; nil (and
    /// `body` not called) when it holds anything else. The bytes live only during the call.
    public func withText<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        check(index)
        let handle = statement.handle
        let column = Int32(index)
        guard sqlite3_column_type(handle, column) == SQLITE_TEXT else { return nil }
        // Pointer first, then byte count, as SQLite's documentation requires.
        guard let text = sqlite3_column_text(handle, column) else {
            return try body(UnsafeBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column))))
    }

    private func check(_ index: Int) {
        precondition(statement.rowGeneration == generation, "a RowView was used after its statement moved on")
        precondition(index >= 0 && index < count, "no column \(index)")
    }
}

// A view of one thread's statement: it must not cross threads.
@available(*, unavailable)
extension RowView: Sendable {}

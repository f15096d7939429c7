/// A walk over one table's rows in rowid order, a window at a time, finding those created before
/// a cutoff (SPEC §1.4). Rowids grow with insertion, so the rows created before the cutoff are a
/// prefix of the table, give or take commits that finished out of order: the walk stops at the
/// first row created at or after the cutoff and never scans the rest. No index on the time
/// column is needed, so retention costs nothing on the insert path.
public struct AgedRows: Sendable {
    /// Trusted names from the caller's own code, never from input.
    public let table: String
    public let createdColumn: String
    /// Rowid of the last row walked past; the next window starts after it.
    public private(set) var cursor: Int64 = 0
    /// True once the walk met a row created at or after the cutoff, or the table's end.
    public private(set) var isDone = false

    public init(table: String, createdColumn: String) {
        self.table = table
        self.createdColumn = createdColumn
    }

    /// The next window, `(from, through]` in rowids, of at most `limit` rows created before
    /// `cutoff`, or nil when the walk is done. The caller acts on the window's rows (its own
    /// conditions decide which of them go) in the same transaction.
    public mutating func next(_ conn: Connection, before cutoff: String, limit: Int) throws
        -> (from: Int64, through: Int64)?
    {
        guard !isDone else { return nil }
        let limit = max(1, limit)
        let rows = try conn.query(
            "SELECT rowid AS id, \(createdColumn) < ?2 AS old FROM \(table) WHERE rowid > ?1 ORDER BY rowid LIMIT ?3",
            [.integer(cursor), .text(cutoff), .integer(Int64(limit))])
        var last: Int64?
        for row in rows {
            guard row.int64("old") == 1, let id = row.int64("id") else {
                isDone = true
                break
            }
            last = id
        }
        if rows.count < limit { isDone = true }
        guard let last else {
            isDone = true
            return nil
        }
        defer { cursor = last }
        return (cursor, last)
    }

    /// Runs `statement` — a DELETE or UPDATE whose ?1 and ?2 bound the window's rowids
    /// (`rowid > ?1 AND rowid <= ?2`) and ?3 is the cutoff — over the next window; the rows it
    /// changed, 0 once the walk is done.
    public mutating func apply(_ statement: String, _ conn: Connection, before cutoff: String, limit: Int) throws
        -> Int
    {
        guard let window = try next(conn, before: cutoff, limit: limit) else { return 0 }
        try conn.execute(statement, [.integer(window.from), .integer(window.through), .text(cutoff)])
        return conn.changes
    }
}

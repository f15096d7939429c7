/// Why migrations were refused or failed. Nothing of a refused or failed migration is applied.
public enum MigrationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A file name not of the form `NNNN_name.sql` (version ≥ 1; name of letters, digits, `_`, `-`).
    case invalidFileName(String)
    /// A version below 1.
    case invalidVersion(version: Int, name: String)
    /// Two migrations in the binary share a version.
    case duplicateVersion(version: Int, names: [String])
    /// An applied migration's SQL differs from the binary's: the file was edited after applying.
    case checksumMismatch(version: Int, name: String, recorded: String, expected: String)
    /// The database has a migration this binary does not know (made by a newer Baton).
    case unknownVersion(version: Int, name: String)
    /// A migration's SQL failed; it was rolled back entirely and not recorded.
    case failed(version: Int, name: String, error: SQLiteError)
    /// A migration's SQL committed or rolled back the transaction it runs in.
    case managesTransaction(version: Int, name: String)

    public var description: String {
        switch self {
        case .invalidFileName(let file):
            return "invalid migration file name \"\(file)\": expected NNNN_name.sql with NNNN ≥ 1"
        case .invalidVersion(let version, let name):
            return "migration \"\(name)\" has invalid version \(version): versions start at 1"
        case .duplicateVersion(let version, let names):
            return "migrations \(names.joined(separator: ", ")) share version \(version)"
        case .checksumMismatch(let version, let name, let recorded, let expected):
            return "migration \(Migration.label(version: version, name: name)) was changed after it "
                + "was applied (recorded checksum \(recorded.prefix(12))…, file \(expected.prefix(12))…); "
                + "add a new migration instead of editing an applied one"
        case .unknownVersion(let version, let name):
            return "the database has migration \(Migration.label(version: version, name: name)) "
                + "that this binary does not know; it was made by a newer Baton"
        case .failed(let version, let name, let error):
            return "migration \(Migration.label(version: version, name: name)) failed: "
                + "\(error.message) (SQLite error \(error.extendedCode)); nothing of it was applied"
        case .managesTransaction(let version, let name):
            return "migration \(Migration.label(version: version, name: name)) must not use "
                + "BEGIN, COMMIT or ROLLBACK: each migration already runs in its own transaction"
        }
    }
}

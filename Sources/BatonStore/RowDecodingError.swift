/// A row's column could not be decoded as the caller needs it: a query and the code reading it
/// disagree (a misspelt or unselected column), or the stored value is not what the schema says.
public struct RowDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// The result has no column of that name.
        case noSuchColumn
        /// The value is NULL where one is required.
        case null
        /// The value's storage class (`typeof()`: "text", "integer", …) is not the expected one.
        case wrongType(found: String)
    }

    public let column: String
    /// The expected type, in words ("an integer", "text").
    public let expected: String
    public let problem: Problem
    /// The result's columns, to tell a misspelt name from a missing one.
    public let columns: [String]

    public init(column: String, expected: String, problem: Problem, columns: [String]) {
        self.column = column
        self.expected = expected
        self.problem = problem
        self.columns = columns
    }

    public var description: String {
        switch problem {
        case .noSuchColumn:
            return "the result has no column \"\(column)\" (its columns: \(columns.joined(separator: ", ")))"
        case .null:
            return "column \"\(column)\" is NULL where \(expected) is required"
        case .wrongType(let found):
            return "column \"\(column)\" holds a value of type \(found) where \(expected) is expected"
        }
    }
}

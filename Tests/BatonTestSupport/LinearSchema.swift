import BatonJSON

#if canImport(Glibc)
    import Glibc
#endif

/// Linear's published schema (Vendor/linear/schema.graphql) and scripts/validate-graphql.py,
/// which checks GraphQL operations against it with graphql-core from `.build/graphql-venv`
/// (installed by `scripts/install-deps.sh --test`).
public enum LinearSchema {
    public static var schema: String { RealAgents.root + "/Vendor/linear/schema.graphql" }
    public static var python: String { RealAgents.root + "/.build/graphql-venv/bin/python" }
    public static var script: String { RealAgents.root + "/scripts/validate-graphql.py" }

    /// graphql-core is installed; a test fails (not skips) when it is not, since `make test` installs it.
    public static func missing() -> String? {
        access(python, X_OK) == 0 ? nil : "\(python) is missing: run scripts/install-deps.sh --test"
    }

    /// Validates each `(query, variables)` (variables may be nil: the document alone); the
    /// script's exit status and its problems, one a line.
    public static func validate(_ operations: [(query: String, variables: JSONValue?)]) throws -> (
        status: Int32, problems: String
    ) {
        let directory = TemporaryDirectory(prefix: "baton-graphql")
        defer { directory.remove() }
        let entries: [JSONValue] = operations.map { operation in
            var entry: [String: JSONValue] = ["query": .string(operation.query)]
            if let variables = operation.variables { entry["variables"] = variables }
            return .object(entry)
        }
        directory.write("operations.json", JSONValue.array(entries).text)
        let result = try ChildProcess.run(
            python, [script, schema, directory.path + "/operations.json"], timeout: 120)
        return (result.status, result.stdout + result.stderr)
    }
}

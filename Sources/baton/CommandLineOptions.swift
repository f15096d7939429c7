/// A parsed command line for one subcommand: `--name value`, `--name=value` and boolean `--flag`.
/// Unknown options and missing values are usage errors (exit 2), never silently ignored.
struct CommandLineOptions {
    struct Spec {
        var valued: Set<String>
        var flags: Set<String>
    }

    private(set) var values: [String: String] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    init(_ arguments: some Sequence<String>, spec: Spec) throws(UsageError) {
        var it = arguments.makeIterator()
        var onlyPositionals = false
        while let arg = it.next() {
            if onlyPositionals || !arg.hasPrefix("--") || arg == "-" {
                positionals.append(arg)
                continue
            }
            if arg == "--" {
                onlyPositionals = true
                continue
            }
            let body = arg.dropFirst(2)
            let name: String
            var inline: String?
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq])
                inline = String(body[body.index(after: eq)...])
            } else {
                name = String(body)
            }
            if spec.flags.contains(name) {
                guard inline == nil else { throw UsageError("--\(name) takes no value") }
                flags.insert(name)
            } else if spec.valued.contains(name) {
                guard let value = inline ?? it.next() else { throw UsageError("--\(name) needs a value") }
                values[name] = value
            } else {
                throw UsageError("unknown option --\(name)")
            }
        }
    }

    func value(_ name: String) -> String? { values[name] }
    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func integer(_ name: String, in range: ClosedRange<Int>) throws(UsageError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let n = Int(text), range.contains(n) else {
            throw UsageError(
                "--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return n
    }
}

/// A mistake in how the command was called: printed as one line on stderr, exit status 2.
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A failure while running a well-formed command: one line on stderr, exit status 1.
struct RuntimeError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

import BatonJSON

/// How a CLI agent is started: its command (split at spaces, never given to a shell), the
/// provider's extra `args`, and its `env` (values may be `$secret:NAME`, resolved at each start
/// so a rotated key takes effect on the next attempt and no key sits in the runner).
public struct AgentLaunch: Sendable {
    public var command: String
    public var args: [String]
    public var environment: [String: String]
    let secret: @Sendable (String) async throws -> String?

    public init(
        command: String, args: [String] = [], environment: [String: String] = [:],
        secret: @escaping @Sendable (String) async throws -> String? = { $0.hasPrefix("$secret:") ? nil : $0 }
    ) {
        self.command = command
        self.args = args
        self.environment = environment
        self.secret = secret
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Longest protocol message (one stdout line) an agent CLI may send; a longer one is cut, fails
    /// to parse, and ends the attempt with a sentence rather than a hang.
    public static let maxMessageBytes = 16 << 20

    /// The executable's path, the command's own arguments (the words after the program), and the
    /// environment with every secret resolved. A runner passes `leading + its own + args`.
    func resolve() async throws(Failure) -> Resolved {
        let words = command.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let program = words.first else { throw Failure(description: "the provider's command is empty") }
        guard let executable = Executable.find(program, path: environment["PATH"]) else {
            throw Failure(
                description: "\(program) is not installed (not found on PATH); see README \"Running real agents\"")
        }
        var resolved: [String: String] = [:]
        for (name, value) in environment {
            guard name.isEnvironmentVariableName else {
                throw Failure(
                    description: "env has an invalid variable name \(JSONText.quote(String(name.prefix(64))))")
            }
            if value.hasPrefix("$secret:") {
                let found: String?
                do { found = try await secret(value) } catch {
                    throw Failure(description: "env \(name): cannot read \(value): \(error)")
                }
                guard let found else { throw Failure(description: "env \(name): no secret \(value) is stored") }
                resolved[name] = found
            } else {
                resolved[name] = value
            }
        }
        let secrets = environment.compactMap { name, value in value.hasPrefix("$secret:") ? resolved[name] : nil }
        return Resolved(
            executable: executable, leading: Array(words.dropFirst()), trailing: args, environment: resolved,
            secrets: secrets.filter { $0.utf8.count >= 8 })
    }

    /// Why a CLI agent could not start, as the attempt's outcome.
    struct NotStarted: Error {
        let outcome: AgentOutcome
    }

    /// Resolves the launch and checks the CLI's version: what a run starts with (the command and a
    /// report that knows the version), or the failed outcome saying why it cannot start.
    func prepare(_ kind: String, version: VersionProbe) async -> Result<(Resolved, AgentReport), NotStarted> {
        let resolved: Resolved
        do {
            resolved = try await resolve()
        } catch {
            return .failure(NotStarted(outcome: .failed("\(kind): \(error)")))
        }
        var report = AgentReport(agent: kind)
        // `--version` runs before any sandbox exists: without the provider's secrets.
        let withoutSecrets = resolved.environment.filter { name, _ in environment[name]?.hasPrefix("$secret:") != true }
        switch await version.check(resolved.executable, environment: withoutSecrets) {
        case .success(let text): report.agentVersion = text
        case .failure(let error): return .failure(NotStarted(outcome: .failed("\(kind): \(error.description)")))
        }
        return .success((resolved, report))
    }

    public struct Resolved: Sendable {
        public var executable: String
        /// The command's words after the program.
        public var leading: [String]
        /// The provider's `args`.
        public var trailing: [String]
        public var environment: [String: String]
        /// The values of `$secret:` references (8 bytes or more): never in what the agent reports.
        public var secrets: [String] = []

        func arguments(_ own: [String]) -> [String] { leading + own + trailing }

        /// `events` with every secret value taken out of what they say.
        func redacting(_ events: @escaping @Sendable (AgentEvent) -> Void) -> @Sendable (AgentEvent) -> Void {
            guard !secrets.isEmpty else { return events }
            let secrets = secrets
            return { event in events(event.redacting(secrets)) }
        }
    }
}

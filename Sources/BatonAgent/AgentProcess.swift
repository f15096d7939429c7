import BatonJSON
import BatonPlatform
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How runners drive an agent's process: the prompt on stdin, then its exit awaited, with the
/// whole process group ended when the task is cancelled (SIGTERM, SIGKILL `grace` seconds later)
/// and whatever it left running killed afterwards.
extension Subprocess {
    /// Writes `prompt` to stdin and closes it, on a thread of its own: a child that does not read
    /// its input must not block the runner.
    func feed(_ prompt: String) {
        OSThread.detach(name: "agent-stdin") {
            self.write(prompt)
            self.closeInput()
        }
    }

    /// The exit code; cancelling the calling task ends the process group.
    func exitEndingGroupOnCancel(grace: Double = 2) async -> Int32 {
        let status = await withTaskCancellationHandler {
            await exitCode()
        } onCancel: {
            endGroup(grace: grace)
        }
        signalGroup(SIGKILL)  // whatever it left running in its group
        return status
    }

    /// SIGTERM to the group now, SIGKILL `grace` seconds later, without waiting: safe to call
    /// from async code (the waiter thread reaps the child).
    func endGroup(grace: Double = 1) {
        signalGroup(SIGTERM)
        OSThread.detach(name: "agent-kill") {
            usleep(UInt32(grace * 1_000_000))
            self.signalGroup(SIGKILL)
        }
    }
}

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

    /// A valid environment variable name: what a shell would accept.
    public static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == 95 || (65...90).contains(first) || (97...122).contains(first)
        else { return false }
        return name.utf8.allSatisfy {
            $0 == 95 || (65...90).contains($0) || (97...122).contains($0) || (48...57).contains($0)
        }
    }

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
            guard Self.isVariableName(name) else {
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
        switch await version.check(resolved.executable, environment: resolved.environment) {
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

/// A supported range of an agent CLI's versions, `minimum` included, `below` excluded.
public struct VersionRange: Sendable {
    public var minimum: [Int]
    public var below: [Int]
    /// The version the tests run (README "Running real agents").
    public var tested: String

    public func contains(_ version: [Int]) -> Bool {
        !version.lexicographicallyPrecedes(minimum) && version.lexicographicallyPrecedes(below)
    }

    public var description: String {
        ">= \(minimum.map(String.init).joined(separator: ".")), < \(below.map(String.init).joined(separator: "."))"
    }

    /// `1.2.3` (a leading `v` and a pre-release suffix ignored).
    public static func parse(_ text: String) -> [Int]? {
        var body = Substring(text)
        if body.hasPrefix("v") { body = body.dropFirst() }
        let core = body.split(separator: "-", maxSplits: 1).first ?? body
        let parts = core.split(separator: ".")
        guard parts.count >= 2, parts.count <= 4 else { return nil }
        var out: [Int] = []
        for part in parts {
            guard part.utf8.count <= 6, let n = Int(part), n >= 0 else { return nil }
            out.append(n)
        }
        return out
    }
}

/// Runs `<cli> --version` once per executable and checks it against the supported range: an
/// unsupported CLI fails its attempts with a sentence rather than misreading its protocol.
final class VersionProbe: Sendable {
    struct Failure: Error {
        let description: String
    }

    private let agent: String
    private let pattern: @Sendable (String) -> [Int]?
    private let range: VersionRange
    private let known = Mutex<[String: String]>([:])

    init(agent: String, pattern: @escaping @Sendable (String) -> [Int]?, range: VersionRange) {
        self.agent = agent
        self.pattern = pattern
        self.range = range
    }

    /// A supported version is remembered per executable; a failure is not (the CLI may be
    /// upgraded, or the probe may have timed out), so the next attempt asks again.
    func check(_ executable: String, environment: [String: String]) async -> Result<String, Failure> {
        if let found = known.withLock({ $0[executable] }) { return .success(found) }
        let found = await probe(executable, environment: environment)
        if case .success(let text) = found { known.withLock { $0[executable] = text } }
        return found
    }

    /// Longest a `--version` may take.
    static let timeoutSeconds = 10.0

    private func probe(_ executable: String, environment: [String: String]) async -> Result<String, Failure> {
        guard
            let child = try? Subprocess(
                Subprocess.Options(executable, ["--version"], environment: environment, captureLimit: 16 * 1024)
                    .confined(Confinement(environment: Confinement.baseEnvironment(), sandbox: nil)))
        else { return .failure(Failure(description: "cannot run \(executable) --version")) }
        child.closeInput()
        OSThread.detach(name: "agent-version") {
            if child.wait(timeout: VersionProbe.timeoutSeconds) == nil { child.endGroup(grace: 1) }
        }
        let status = await child.exitEndingGroupOnCancel()
        let text = child.output.trimmingWhitespace
        guard status == 0, let version = pattern(text) else {
            return .failure(
                Failure(
                    description: "\(executable) --version answered \(JSONText.quote(String(text.prefix(120)))) "
                        + "(status \(status)); Baton needs \(agent) \(range.description)"))
        }
        guard range.contains(version) else {
            return .failure(
                Failure(
                    description: "\(text) is not supported; Baton needs \(agent) \(range.description) "
                        + "(tested with \(range.tested))"))
        }
        return .success(text)
    }
}

extension Subprocess.Options {
    func withLineLimit(_ limit: Int) -> Subprocess.Options {
        var copy = self
        copy.lineLimit = limit
        return copy
    }
}

extension AgentEvent {
    func redacting(_ secrets: [String]) -> AgentEvent {
        func clean(_ text: String) -> String { secrets.reduce(text) { HTTPProviderRunner.redact($0, key: $1) } }
        switch self {
        case .message(let text): return .message(clean(text))
        case .command(let text): return .command(clean(text))
        case .toolCall(let text): return .toolCall(clean(text))
        case .apiRetry(let text): return .apiRetry(clean(text))
        case .permissionDenied(let text): return .permissionDenied(clean(text))
        default: return self
        }
    }
}

extension AgentOutcome {
    /// The outcome with every secret value taken out of its texts: an agent that prints its key
    /// (or echoes it in an error) does not put it into the job, the events or the report.
    func redacting(_ secrets: [String]) -> AgentOutcome {
        guard !secrets.isEmpty else { return self }
        func clean(_ text: String) -> String { secrets.reduce(text) { HTTPProviderRunner.redact($0, key: $1) } }
        var copy = self
        copy.result = result.map(clean)
        copy.error = error.map(clean)
        if var report {
            report.commands = report.commands.map(clean)
            report.finalMessage = report.finalMessage.map(clean)
            report.permissionDenials = report.permissionDenials.map { ($0.tool, clean($0.detail)) }
            report.approvals = report.approvals.map { (clean($0.request), $0.decision) }
            copy.report = report
        }
        return copy
    }
}

import BatonJSON
import BatonPlatform
import Synchronization

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

import BatonHTTP
import BatonJSON
import BatonWorkerProtocol

/// Which runner serves which provider name: `dry-run` always, plus every `providers.<name>` whose
/// `kind` this worker can run.
public struct RunnerCatalog: Sendable {
    private var runners: [String: any AgentRunner]
    /// Announced order when restricted; nil means dry-run first, then by name.
    private var order: [String]?

    public init(_ runners: [String: any AgentRunner] = [:]) {
        self.runners = [ProviderKind.dryRun.rawValue: DryRunRunner()].merging(runners) { _, new in new }
    }

    /// From the `providers` section of the configuration. `secret` turns an `api_key` value (a
    /// `$secret:NAME` reference) into the key, when a request needs it.
    public init(
        providers: JSONValue?, http: HTTPClient = .shared, turnTimeout: Duration = .seconds(3600),
        secret: @escaping @Sendable (String) async throws -> String? = { _ in nil }
    ) {
        var found: [String: any AgentRunner] = [:]
        for (name, provider) in providers?.objectValue ?? [:] {
            let kind = ProviderKind(provider: name, entry: provider)
            switch kind {
            case .dryRun: found[name] = DryRunRunner()
            case .command:
                if let command = provider["command"]?.stringValue, !command.isEmpty {
                    // The command is a shell line run by sh: of the launch, only the provider's env counts.
                    found[name] = CommandRunner(
                        command: command, launch: Self.launch(provider, command: "/bin/sh", args: [], secret: secret))
                }
            case .codex:
                let approvals = provider["approvals"]?.stringValue.flatMap(CodexRunner.Approvals.init(rawValue:))
                found[name] = CodexRunner(
                    launch: Self.launch(
                        provider, command: provider["command"]?.stringValue ?? "codex app-server", secret: secret),
                    settings: CodexRunner.Settings(
                        sandbox: provider["sandbox"]?.stringValue,
                        // Answers are only asked for when the policy lets codex ask: setting
                        // `approvals` alone means "ask me" (on-request).
                        approvalPolicy: provider["approval_policy"]?.stringValue
                            ?? (approvals == nil ? "never" : "on-request"),
                        approvals: approvals ?? .decline,
                        maxAPIRetries: Int(provider["max_api_retries"]?.intValue ?? 10)))
            case .claudeCode:
                found[name] = ClaudeCodeRunner(
                    launch: Self.launch(
                        provider, command: provider["command"]?.stringValue ?? "claude", secret: secret),
                    settings: ClaudeCodeRunner.Settings(
                        permissionMode: provider["permission_mode"]?.stringValue ?? "acceptEdits",
                        allowedTools: (provider["allowed_tools"]?.arrayValue ?? []).compactMap(\.stringValue),
                        maxSteps: provider["max_steps"]?.intValue.map { Int($0) },
                        maxAPIRetries: Int(provider["max_api_retries"]?.intValue ?? 10)))
            case .openai, .ollama, .anthropic:
                guard let wire = kind.flatMap(HTTPProviderRunner.Wire.init) else { continue }
                let reference = provider["api_key"]?.stringValue
                var runner = HTTPProviderRunner(
                    wire: wire, baseURL: provider["base_url"]?.stringValue,
                    model: provider["models"]?.arrayValue?.first?.stringValue, http: http,
                    apiKey: { try await reference.asyncMap(secret) ?? nil })
                runner.timeout = turnTimeout
                found[name] = runner
            case nil: continue
            }
        }
        self.init(found)
    }

    /// A CLI provider's command, `args` and `env` (whose `$secret:` values `secret` resolves).
    static func launch(
        _ provider: JSONValue, command: String, args: [String]? = nil,
        secret: @escaping @Sendable (String) async throws -> String?
    ) -> AgentLaunch {
        AgentLaunch(
            command: command, args: args ?? (provider["args"]?.arrayValue ?? []).compactMap(\.stringValue),
            environment: (provider["env"]?.objectValue ?? [:]).compactMapValues(\.stringValue), secret: secret)
    }

    public func runner(for provider: String) -> (any AgentRunner)? { runners[provider] }

    /// Only the named providers (each must be in the catalog); the first becomes the primary one.
    public func restricted(to names: [String]) -> RunnerCatalog {
        var copy = self
        copy.runners = runners.filter { names.contains($0.key) }
        copy.order = names.filter { runners[$0] != nil }
        return copy
    }

    /// Provider names this worker serves, `dry-run` first.
    public var providers: [String] {
        let dryRun = ProviderKind.dryRun.rawValue
        return order ?? ([dryRun] + runners.keys.filter { $0 != dryRun }.sorted())
    }
}

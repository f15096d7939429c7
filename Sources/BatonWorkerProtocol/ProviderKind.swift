import BatonJSON

/// What speaks to a provider: the `kind` of `providers.<name>` (SPEC §8.1). The one list of kinds:
/// the config schema offers these, the worker's runner catalog builds a runner for each, and the
/// coordinator lists the models of the HTTP ones.
public enum ProviderKind: String, Sendable, CaseIterable {
    /// Runs nothing: writes the prompt into the workspace (SPEC §8.2). Also the built-in provider
    /// every worker serves.
    case dryRun = "dry-run"
    /// `sh -c <command>` (SPEC §8.3).
    case command
    /// `codex app-server`, JSON-RPC over stdio (SPEC §8.5).
    case codex
    /// `claude -p --output-format stream-json` (SPEC §8.6).
    case claudeCode = "claude-code"
    /// One HTTP request per turn (SPEC §8.7).
    case openai, ollama, anthropic

    /// A provider's kind: its `kind`, else its name (`providers.codex` without a kind is a codex
    /// provider); nil when that is no kind Baton knows.
    public init?(provider name: String, entry: JSONValue?) {
        self.init(rawValue: entry?["kind"]?.stringValue ?? name)
    }

    /// The kinds that are one HTTP request to an LLM API, whose model lists the coordinator can
    /// ask for.
    public var isHTTP: Bool {
        switch self {
        case .openai, .ollama, .anthropic: true
        case .dryRun, .command, .codex, .claudeCode: false
        }
    }
}

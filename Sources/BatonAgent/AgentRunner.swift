/// What a runner is asked to do: one attempt of one job, in its workspace.
public struct AgentTask: Sendable {
    public var jobID: Int64
    public var attempt: Int
    public var issue: String?
    /// The rendered prompt (and the job's input, if any).
    public var prompt: String
    public var input: String?
    public var provider: String
    public var model: String?
    /// The workspace directory (absolute).
    public var workspace: String
    public var maxTurns: Int
    /// How its processes run (environment, sandbox); nil runs them as Baton's own children, which
    /// only a runner's own tests do.
    public var confinement: Confinement?

    public init(
        jobID: Int64, attempt: Int = 1, issue: String? = nil, prompt: String, input: String? = nil,
        provider: String, model: String? = nil, workspace: String, maxTurns: Int = 20, confinement: Confinement? = nil
    ) {
        self.confinement = confinement
        self.jobID = jobID
        self.attempt = attempt
        self.issue = issue
        self.prompt = prompt
        self.input = input
        self.provider = provider
        self.model = model
        self.workspace = workspace
        self.maxTurns = maxTurns
    }
}

/// What a runner reports while it works; the worker batches these to the coordinator.
public enum AgentEvent: Sendable, Equatable {
    case turnStarted(Int)
    case turnEnded(Int)
    case message(String)
    case toolCall(String)
    /// A shell command the agent ran (also a tool call).
    case command(String)
    /// How the command just reported ended, where the agent says: its exit code and output (a
    /// Linear agent session shows it as the action's result, SPEC §9.15).
    case commandResult(exitCode: Int?, output: String)
    /// The agent's model API failed and the agent is retrying: progress, so the attempt is not
    /// taken for stalled while a CLI waits out a rate limit.
    case apiRetry(String)
    /// The agent was refused a tool or a permission.
    case permissionDenied(String)
    /// The agent is working (output streaming, a command running) with nothing to say yet.
    case activity
    /// Totals so far (absolute, not increments).
    case tokens(input: Int64, output: Int64)
}

/// How an attempt ended.
public struct AgentOutcome: Sendable, Equatable {
    public enum Status: String, Sendable {
        case succeeded, failed
        /// The agent asked a question only a person can answer: the issue becomes blocked.
        case needsInput = "needs_input"
    }

    public var status: Status
    public var result: String?
    public var error: String?
    public var tokensInput: Int64
    public var tokensOutput: Int64
    /// When the runner knows the price (else the coordinator's price table decides).
    public var costUSD: Double?
    /// The model the agent says it used.
    public var model: String?
    /// What the agent did (CLI runners fill it in; the worker adds the workspace's changes).
    public var report: AgentReport?

    public init(
        status: Status, result: String? = nil, error: String? = nil, tokensInput: Int64 = 0, tokensOutput: Int64 = 0,
        costUSD: Double? = nil
    ) {
        self.status = status
        self.result = result
        self.error = error
        self.tokensInput = tokensInput
        self.tokensOutput = tokensOutput
        self.costUSD = costUSD
    }

    public static func failed(_ error: String) -> AgentOutcome { AgentOutcome(status: .failed, error: error) }
}

/// One kind of agent (a CLI, an app-server protocol, an HTTP LLM API). A runner stops promptly
/// when its task is cancelled (the job was cancelled or the worker is stopping), reads steering
/// messages from `steer` if it can pass them on, and reports progress through `events`.
public protocol AgentRunner: Sendable {
    /// `dry-run`, `command`, …: the `kind` of `providers.<name>`.
    var kind: String { get }
    func run(_ task: AgentTask, steer: AsyncStream<String>, events: @escaping @Sendable (AgentEvent) -> Void) async
        -> AgentOutcome
}

import BatonJSON

/// Every kind of token an agent reports, as absolute totals for the attempt. `input` includes
/// the cached and cache-creation tokens and `output` the reasoning ones, so the two job totals
/// stay comparable across providers; the parts are kept for the report.
public struct TokenUsage: Sendable, Equatable {
    /// The most a count may be (2^53 − 1, what the coordinator accepts): an agent's or provider's
    /// figure beyond it is taken as this, and totals stop there instead of overflowing.
    public static let maxCount: Int64 = 9_007_199_254_740_991

    /// A token count from an agent's or provider's JSON: a whole number clamped to 0...`maxCount`
    /// (the coordinator refuses a report outside it); nil when absent or not a whole number
    /// (a fraction, a string, `1e300`), which the caller skips.
    public static func count(_ value: JSONValue?) -> Int64? {
        guard let n = value?.intValue else { return nil }
        return min(max(n, 0), maxCount)
    }

    /// Counts (each within 0...`maxCount`) added up to at most `maxCount`.
    public static func sum(_ counts: Int64...) -> Int64 { counts.reduce(0) { min($0 + $1, maxCount) } }

    public var input: Int64 = 0
    public var cachedInput: Int64 = 0
    public var cacheCreationInput: Int64 = 0
    public var output: Int64 = 0
    public var reasoningOutput: Int64 = 0

    public init(
        input: Int64 = 0, cachedInput: Int64 = 0, cacheCreationInput: Int64 = 0, output: Int64 = 0,
        reasoningOutput: Int64 = 0
    ) {
        self.input = input
        self.cachedInput = cachedInput
        self.cacheCreationInput = cacheCreationInput
        self.output = output
        self.reasoningOutput = reasoningOutput
    }

    var json: JSONValue {
        [
            "input": .int(input), "cached_input": .int(cachedInput), "cache_creation_input": .int(cacheCreationInput),
            "output": .int(output), "reasoning_output": .int(reasoningOutput),
        ]
    }
}

/// One path the attempt changed in its workspace.
public struct FileChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case added, modified, deleted, renamed, untracked }
    public var path: String
    public var change: Kind

    public init(_ path: String, _ change: Kind) {
        self.path = path
        self.change = change
    }
}

/// What the agent did in one attempt (SPEC §8.8): built by its runner as the agent reports (commands, tools,
/// denials, approvals, retries, tokens, model, final message), completed by the worker with what
/// changed in the workspace, and sent with the completion as the job's `report`.
public struct AgentReport: Sendable, Equatable {
    public var agent: String
    public var agentVersion: String?
    public var model: String?
    public var usage = TokenUsage()
    public var commands: [String] = []
    public var tools: [String: Int] = [:]
    public var filesChanged: [FileChange] = []
    public var diffStat: String?
    public var finalMessage: String?
    public var permissionDenials: [(tool: String, detail: String)] = []
    public var approvals: [(request: String, decision: String)] = []
    public var apiRetries = 0
    /// The sandbox the agent ran in (`landlock (ABI 7)`, or `off`).
    public var sandbox: String?

    public init(agent: String) { self.agent = agent }

    public static func == (a: AgentReport, b: AgentReport) -> Bool { a.json(limit: .max) == b.json(limit: .max) }

    /// Longest command, denial detail or message kept; a whole report must fit the coordinator's
    /// 64 KiB limit, so lists are cut from the end until it does.
    static let maxItemBytes = 2000

    mutating func ranCommand(_ command: String) {
        commands.append(Self.clip(command))
        tools["command", default: 0] += 1
    }

    /// Tool names are the agent's words: clipped, and at most `maxTools` kinds counted by name
    /// (the rest as "other").
    mutating func usedTool(_ name: String) {
        let key = String(name.prefix(100))
        if tools[key] == nil && tools.count >= Self.maxTools {
            tools["other", default: 0] += 1
        } else {
            tools[key, default: 0] += 1
        }
    }

    static let maxTools = 64

    mutating func denied(_ tool: String, _ detail: String) {
        permissionDenials.append((Self.clip(tool), Self.clip(detail)))
    }

    static func clip(_ text: String) -> String {
        guard text.utf8.count > maxItemBytes else { return text }
        var cut = String(decoding: text.utf8.prefix(maxItemBytes), as: UTF8.self)
        // A cut inside a multi-byte character decodes to U+FFFD at the end: drop it.
        while cut.last == "\u{FFFD}" { cut.removeLast() }
        return cut + "…"
    }

    /// The report as JSON, trimmed (oldest commands, then files, then approvals) to `limit` bytes.
    public func json(limit: Int = 60_000) -> JSONValue {
        var copy = self
        var truncated = false
        while true {
            let value = copy.render(truncated: truncated)
            if value.text.utf8.count <= limit { return value }
            truncated = true
            if copy.commands.count > 1 {
                copy.commands.removeFirst(max(1, copy.commands.count / 4))
            } else if copy.filesChanged.count > 1 {
                copy.filesChanged.removeLast(max(1, copy.filesChanged.count / 4))
            } else if !copy.approvals.isEmpty {
                copy.approvals.removeFirst(max(1, copy.approvals.count / 2))
            } else if !copy.permissionDenials.isEmpty {
                copy.permissionDenials.removeFirst(max(1, copy.permissionDenials.count / 2))
            } else if copy.diffStat != nil {
                copy.diffStat = nil
            } else if copy.tools.count > 1 {
                copy.tools = [:]
            } else {
                // Whatever is left that is large: the essentials only, each clipped.
                var minimal = AgentReport(agent: String(agent.prefix(100)))
                minimal.agentVersion = agentVersion.map { String($0.prefix(200)) }
                minimal.model = model.map { String($0.prefix(256)) }
                minimal.usage = usage
                minimal.apiRetries = apiRetries
                minimal.sandbox = sandbox.map { String($0.prefix(200)) }
                minimal.finalMessage = finalMessage.map { String($0.prefix(1000)) }
                return minimal.render(truncated: true)
            }
        }
    }

    private func render(truncated: Bool) -> JSONValue {
        [
            "agent": .string(agent), "agent_version": agentVersion.map(JSONValue.string) ?? .null,
            "model": model.map(JSONValue.string) ?? .null, "usage": usage.json,
            "commands": .array(commands.map(JSONValue.string)),
            "tools": .object(tools.mapValues { .int(Int64($0)) }),
            "files_changed": .array(
                filesChanged.map { ["path": .string($0.path), "change": .string($0.change.rawValue)] }),
            "diff_stat": diffStat.map(JSONValue.string) ?? .null,
            "final_message": finalMessage.map(JSONValue.string) ?? .null,
            "permission_denials": .array(
                permissionDenials.map { ["tool": .string($0.tool), "detail": .string($0.detail)] }),
            "approvals": .array(approvals.map { ["request": .string($0.request), "decision": .string($0.decision)] }),
            "api_retries": .int(Int64(apiRetries)), "truncated": .bool(truncated),
            "sandbox": sandbox.map(JSONValue.string) ?? .null,
        ]
    }
}

import BatonCore
import BatonJSON
import BatonPlatform
import BatonStore
import Synchronization

/// Turns the agent's own stream into session activities (SPEC §9.15): a running attempt's
/// progress reports (`job.progress`, the worker's batch of what the agent did: the last command,
/// the count of commands, recent messages) become an `action` for each batch that ran a new
/// command and an ephemeral `thought` for a new message, on the issue's active session. Batches
/// already coalesce a chatty agent; what is stored is then sent by `AgentActivitySender`.
public final class AgentProgressFollower: Sendable {
    let orchestrator: Orchestrator
    let log: @Sendable (String) -> Void
    /// What each job's reports said last (commands run, the last message), so only news is told.
    let seen = Mutex<[Int64: Seen]>([:])

    /// What a job's reports said so far: commands run, other tool calls, the last message.
    public struct Seen: Sendable, Equatable {
        public var commands: Int64 = 0
        public var tools: Int64 = 0
        public var message: String?

        public init(commands: Int64 = 0, tools: Int64 = 0, message: String? = nil) {
            self.commands = commands
            self.tools = tools
            self.message = message
        }
    }

    /// The longest command (an action's `parameter`) and message (a thought's body) told, in characters.
    public static let maxParameter = 300
    public static let maxThought = 1000
    /// The longest result an action carries, in characters.
    public static let maxResult = 1000

    public init(orchestrator: Orchestrator, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.orchestrator = orchestrator
        self.log = log
    }

    /// Follows live progress until cancelled. A follower that falls too far behind has its stream
    /// ended by the bus; it resumes after the last event it handled, so none is missed.
    public func run(events: EventBus) async {
        var last: Int64?
        // Sessions belong to issues: an ad-hoc job's progress has nothing to report to.
        let filter = EventFilter(
            types: ["job.progress", "job.completed", "job.failed", "job.cancelled"], issuesOnly: true)
        while !Task.isCancelled {
            guard let stream = try? await events.subscribe(after: last, filter: filter, isClient: false) else {
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            for await event in stream {
                last = event.id
                await handle(event)
            }
            if !Task.isCancelled {
                log("agent sessions: the progress stream ended; resuming after event \(last ?? 0)")
            }
        }
    }

    /// The activities one report gives, given what the job's reports said before.
    /// `shareOutput` false keeps a command's result to its status (`exit 1`), the part before the
    /// output: what Linear's workspace reads must not carry what a command printed (SPEC §9.15).
    static func activities(progress: JSONValue, before: Seen, shareOutput: Bool = false)
        -> (activities: [(AgentActivityContent, Bool)], now: Seen)
    {
        var out: [(AgentActivityContent, Bool)] = []
        func action(_ verb: String, _ what: String, count: Int64) {
            let more = count > 1 ? " (and \(count - 1) more)" : ""
            out.append((.action(action: verb, parameter: truncated(what, maxParameter) + more, result: nil), false))
        }
        // Counts come from a worker's report: anything outside 0…10⁹ is not a count, so the
        // arithmetic below can never overflow.
        func count(_ key: String) -> Int64? {
            progress[key]?.intValue.flatMap { (0...1_000_000_000).contains($0) ? $0 : nil }
        }
        let commands = count("commands") ?? before.commands
        if commands > before.commands, let command = progress["last_command"]?.stringValue {
            action("Ran", command, count: commands - before.commands)
            // The command's outcome, when the batch that reports it knows it.
            if let full = progress["last_command_result"]?.stringValue,
                case let result = shareOutput ? full : String(full.prefix { $0 != ":" }),
                case .action(let verb, let parameter, nil)? = out.last?.0
            {
                out[out.count - 1].0 = .action(
                    action: verb, parameter: parameter, result: truncated(result, maxResult))
            }
        }
        // Tool calls count commands too; the rest are the agent's other tools.
        let tools = count("tool_calls").map { max(0, $0 - commands) } ?? before.tools
        if tools > before.tools, let tool = progress["last_tool"]?.stringValue {
            action("Used", tool, count: tools - before.tools)
        }
        let message = progress["recent_messages"]?.arrayValue?.last?.stringValue
        if let message, message != before.message, !message.trimmingWhitespace.isEmpty {
            out.append((.thought(truncated(message, maxThought)), true))
        }
        return (
            out,
            Seen(
                commands: max(commands, before.commands), tools: max(tools, before.tools),
                message: message ?? before.message)
        )
    }

    static func truncated(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    func handle(_ event: Event) async {
        guard let data = try? JSONParser.parse(Array(event.data.utf8)), let job = data["id"]?.intValue else { return }
        if event.type != "job.progress" {
            _ = seen.withLock { $0.removeValue(forKey: job) }
            return
        }
        guard let issue = event.issue, let tenant = event.tenant, let progress = data["progress"] else { return }
        let before = seen.withLock { $0[job] } ?? Seen()
        let (activities, now) = Self.activities(
            progress: progress, before: before, shareOutput: orchestrator.settings.shareCommandOutput)
        seen.withLock { $0[job] = now }
        guard !activities.isEmpty else { return }
        do {
            // Most progress is of issues without a session: a read, so they cost no write.
            let hasSession = try await orchestrator.database.read { conn in
                try AgentSessionRows.active(issue: issue, tenant: tenant, in: conn) != nil
            }
            guard hasSession else { return }
            let stored = try await orchestrator.database.write { conn -> Int in
                guard let session = try AgentSessionRows.active(issue: issue, tenant: tenant, in: conn) else {
                    return 0
                }
                let at = Timestamp.now()
                for (content, ephemeral) in activities {
                    try AgentSessionRows.enqueue(
                        content, ephemeral: ephemeral, session: session, tenant: tenant, now: at, in: conn)
                }
                return activities.count
            }
            if stored > 0 { orchestrator.agentActivitiesQueued() }
        } catch {
            log("agent sessions: cannot store the progress of job \(job): \(error)")
        }
    }
}

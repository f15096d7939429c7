import BatonJSON
import BatonWorkerProtocol
import Synchronization

/// Audits anonymous and refused requests without letting a flood of them grow the table faster
/// than a fixed rate (SPEC §2.9). Per source, tenant and actor, the first request is appended at
/// once, as it is; the ones after it within `interval` are only counted, in memory, and written as
/// one entry carrying their count (and a summary: body bytes, statuses, actions, first and last
/// time) when the interval ends. A source that keeps sending gets one entry per interval; one that
/// stops is forgotten after its last interval. At most `maxSources` sources are tracked at once;
/// requests from any further source are counted under the source `*`, so the number of entries
/// per interval has a bound whatever the number of sources.
public final class AuditCoalescer: Sendable {
    public static let defaultMaxSources = 1024
    /// The source of an entry counting requests from sources beyond `maxSources`.
    public static let overflowSource = "*"
    /// The action (or target) of a coalesced entry whose requests did not all share one.
    public static let mixed = "(mixed)"
    /// How many different actions a coalesced entry names; the rest are counted as `(other)`.
    static let maxActions = 16

    /// Seconds between entries of one source; 0 appends every request as an entry of its own.
    public let interval: Double
    public let maxSources: Int
    private let audit: AuditLog
    private let clock: @Sendable () -> Double
    private let log: @Sendable (String) -> Void
    private let state = Mutex(State())

    struct Key: Hashable {
        var source: String
        var tenant: String?
        var actor: String
    }

    struct State {
        var windows: [Key: Window] = [:]
        /// A flushing task is running (or about to): set with the first open interval, cleared by
        /// the task itself when it finds none open.
        var flusherActive = false
        var flushing: Task<Void, Never>?
        var stopped = false
    }

    /// One source's interval: what arrived after the entry that opened it.
    struct Window {
        var ends: Double
        var tenant: String?
        var actor: AuditActor
        var count = 0
        var bodyBytes = 0
        var statuses: [Int: Int] = [:]
        var actions: [String: Int] = [:]
        var otherActions = 0
        /// The first counted request's action, target and status, and whether all the others
        /// had the same.
        var action = ""
        var target = ""
        var status: Int?
        var oneAction = true
        var oneTarget = true
        var oneStatus = true
        var firstAt = ""
        var lastAt = ""

        mutating func add(_ draft: AuditDraft, bodyBytes: Int, at: String) {
            if count == 0 {
                firstAt = at
                action = draft.action
                target = draft.target
                status = draft.status
            } else {
                oneAction = oneAction && action == draft.action
                oneTarget = oneTarget && target == draft.target
                oneStatus = oneStatus && status == draft.status
            }
            count += 1
            lastAt = at
            self.bodyBytes += bodyBytes
            if let code = draft.status { statuses[code, default: 0] += 1 }
            if actions[draft.action] != nil || actions.count < AuditCoalescer.maxActions {
                actions[draft.action, default: 0] += 1
            } else {
                otherActions += 1
            }
        }

        func entry(source: String) -> AuditDraft {
            var named = actions.mapValues { JSONValue.int(Int64($0)) }
            if otherActions > 0 { named["(other)"] = .int(Int64(otherActions)) }
            let diff: JSONValue = [
                "body_bytes": .int(Int64(bodyBytes)),
                "statuses": .object(
                    Dictionary(uniqueKeysWithValues: statuses.map { (String($0.key), JSONValue.int(Int64($0.value))) })),
                "actions": .object(named), "first_at": .string(firstAt), "last_at": .string(lastAt),
            ]
            return AuditDraft(
                tenant: tenant, actor: actor, action: oneAction ? action : AuditCoalescer.mixed,
                target: oneTarget ? target : AuditCoalescer.mixed, requestID: nil, source: source,
                status: oneStatus ? status : nil, diff: diff, count: count)
        }
    }

    /// `interval` in seconds (0 turns coalescing off); `clock` returns seconds on a monotonic
    /// scale (tests pass their own and call `flushDue`).
    public init(
        audit: AuditLog, interval: Double, maxSources: Int = AuditCoalescer.defaultMaxSources,
        clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.audit = audit
        self.interval = max(0, interval)
        self.maxSources = max(1, maxSources)
        self.clock = clock
        self.log = log
    }

    /// Audits one anonymous or refused request from `source` (`SourceAddress.key`): appended now
    /// when it is the first of its source's interval (returning once it is committed), else
    /// counted into the entry written when the interval ends. `draft` carries no body.
    public func record(_ draft: AuditDraft, source: String, bodyBytes: Int) async {
        let now = clock()
        let at = Timestamp.now()
        let (appendNow, startFlushing) = state.withLock { state -> (Bool, Bool) in
            if interval == 0 || state.stopped { return (true, false) }
            var key = Key(source: source, tenant: draft.tenant, actor: draft.actor.label)
            if state.windows[key] == nil && state.windows.count >= maxSources { key.source = Self.overflowSource }
            if state.windows[key] != nil {
                state.windows[key]!.add(draft, bodyBytes: bodyBytes, at: at)
                return (false, false)
            }
            state.windows[key] = Window(ends: now + interval, tenant: draft.tenant, actor: draft.actor)
            defer { state.flusherActive = true }
            return (true, !state.flusherActive)
        }
        if startFlushing { self.startFlushing() }
        if appendNow { await append([draft]) }
    }

    /// Writes the entry of every interval that has ended with requests counted in it.
    public func flushDue() async {
        await flush(now: clock())
    }

    /// Writes every count now and stops coalescing (at shutdown, before the database closes):
    /// what arrives afterwards is appended as it comes.
    public func stop() async {
        let task = state.withLock { state in
            state.stopped = true
            return state.flushing
        }
        task?.cancel()
        await flush(now: .infinity)
    }

    /// Sources with an open interval (for tests).
    public var trackedSources: Int { state.withLock { $0.windows.count } }

    private func flush(now: Double) async {
        let entries = state.withLock { state -> [AuditDraft] in
            var entries: [AuditDraft] = []
            for (key, window) in state.windows where window.ends <= now {
                if window.count > 0 { entries.append(window.entry(source: key.source)) }
                // A source still sending gets a new interval (its requests counted from now); one
                // that sent nothing in the last is forgotten, and its next request is an entry at once.
                if window.count > 0 && now.isFinite {
                    state.windows[key] = Window(ends: now + interval, tenant: window.tenant, actor: window.actor)
                } else {
                    state.windows[key] = nil
                }
            }
            return entries
        }
        await append(entries)
    }

    /// One flushing task while any interval is open; it ends when none is.
    private func startFlushing() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                guard let delay = self?.nextFlushDelay() else { return }
                try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
                await self?.flushDue()
            }
        }
        state.withLock { state in
            if state.stopped { task.cancel() } else { state.flushing = task }
        }
    }

    /// Seconds until the earliest interval ends; nil (and the flushing task done) when none is open.
    private func nextFlushDelay() -> Double? {
        let now = clock()
        return state.withLock { state -> Double? in
            guard let next = state.windows.values.lazy.map(\.ends).min(), !state.stopped else {
                state.flusherActive = false
                return nil
            }
            return min(max(next - now, 0.01), 3600)
        }
    }

    /// Appends together (one write for all, see `AuditLog`); a failure is logged, never thrown:
    /// the requests have been answered.
    private func append(_ drafts: [AuditDraft]) async {
        await withTaskGroup(of: Void.self) { group in
            for draft in drafts {
                group.addTask { [audit, log] in
                    do {
                        try await audit.append(draft)
                    } catch {
                        log("error: could not append the audit entry for \(draft.action) \(draft.target): \(error)")
                    }
                }
            }
        }
    }
}

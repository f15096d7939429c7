import BatonCore
import BatonJSON
import BatonStore
import Synchronization

/// Sends the stored agent activities to Linear (SPEC §9.15): each session's in order (the next
/// waits for the one before it to be delivered or given up), at most `perSecond` requests a
/// second for all sessions together, a failure retried with backoff. A resend of an activity
/// whose earlier try may have reached Linear (a 500, a lost answer, a restart mid-send) first
/// asks whether Linear has its id, so nothing is created twice. Rows, not memory: a restart
/// resumes where it stopped.
public final class AgentActivitySender: Sendable {
    let database: Database
    let channel: any AgentSessionChannel
    let wake: WakeSignal
    let perSecond: Int
    /// `<public_url>/#/issues/<identifier>`, the session's external link; nil sets none.
    let pageURL: (@Sendable (String) -> String)?
    let now: @Sendable () -> Int64
    let log: @Sendable (String) -> Void
    /// `baton_agent_activities_total{type, outcome}`: delivered, retried (a failed try that will
    /// be tried again) or failed (given up).
    let outcomes: CounterFamily?
    /// When the current one-second window began and how many requests it holds: real time
    /// (the monotonic clock), whatever `now` says, since Linear's limits are.
    let window = Mutex<(start: ContinuousClock.Instant?, sent: Int)>((nil, 0))

    /// An activity is given up (`failed`) after this many tries once it is older than
    /// `giveUpAfterMs` (when Linear shows the session stale anyway), so one that Linear always
    /// refuses does not hold its session's later activities for ever, and a rate limit that
    /// holds every request for a while does not make Baton give up early.
    public static let maxAttempts = 10
    public static let giveUpAfterMs: Int64 = 30 * 60_000
    /// The longest wait between two tries of one activity.
    public static let maxBackoffMs: Int64 = 60_000

    public init(
        orchestrator: Orchestrator, channel: any AgentSessionChannel, perSecond: Int,
        pageURL: (@Sendable (String) -> String)? = nil, now: (@Sendable () -> Int64)? = nil,
        metrics: MetricsRegistry? = nil, log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        outcomes = try? metrics?.counter(
            name: "baton_agent_activities_total",
            help: "Linear agent activities by type and outcome (delivered, retried, failed).",
            labelNames: ["type", "outcome"])
        self.database = orchestrator.database
        self.wake = orchestrator.agentActivities
        self.channel = channel
        self.perSecond = max(1, perSecond)
        self.pageURL = pageURL
        self.now = now ?? { Timestamp.nowMilliseconds() }
        self.log = log
    }

    /// Sends until cancelled: at once when activities are stored, else every second (retries).
    public func run() async {
        while !Task.isCancelled {
            await sendDue()
            await wake.wait(timeout: .seconds(1))
        }
    }

    struct Due: Sendable {
        var id: String
        var tenant: String
        var session: String
        var content: AgentActivityContent?
        var ephemeral: Bool
        var attempts: Int
        var createdAtMs: Int64
        var type: String { content?.type ?? "unknown" }
    }

    /// One pass: the first pending activity of each session whose time has come, oldest first;
    /// then the sessions' links. Returns how many activities were delivered.
    @discardableResult
    public func sendDue() async -> Int {
        var delivered = 0
        // Bounded: a pass that cannot record what it sent must not spin on the same rows.
        for _ in 0..<100 where !Task.isCancelled {
            let nowMs = now()
            let due: [Due]
            do {
                due = try await database.read { conn in
                    try conn.query(
                        """
                        SELECT a.id, a.tenant, a.session_id, a.content, a.ephemeral, a.attempts, a.created_at
                        FROM agent_activities a
                        WHERE a.state = 'pending' AND a.next_at_ms <= ?1
                            AND a.seq = (SELECT min(b.seq) FROM agent_activities b
                                WHERE b.session_id = a.session_id AND b.tenant = a.tenant AND b.state = 'pending')
                        ORDER BY a.created_at, a.rowid LIMIT 50
                        """, [.integer(nowMs)]
                    ).map { row in
                        Due(
                            id: row.string("id") ?? "", tenant: row.string("tenant") ?? "",
                            session: row.string("session_id") ?? "",
                            content: row.string("content").flatMap { try? JSONParser.parse(Array($0.utf8)) }.flatMap(
                                AgentActivityContent.init(json:)),
                            ephemeral: (row.int("ephemeral") ?? 0) != 0, attempts: row.int("attempts") ?? 0,
                            createdAtMs: row.string("created_at").flatMap(Timestamp.parse) ?? nowMs)
                    }
                }
            } catch {
                log("agent activities: cannot read the outbox: \(error)")
                return delivered
            }
            if due.isEmpty { break }
            for activity in due {
                if Task.isCancelled { return delivered }
                if await send(activity) { delivered += 1 }
            }
        }
        await setLinks()
        await startWork()
        return delivered
    }

    /// One try of one activity; true when it is (now known to be) in Linear.
    func send(_ activity: Due) async -> Bool {
        guard let content = activity.content else {
            await finish(activity, state: "failed", error: "the stored content is not an activity")
            return false
        }
        do {
            // An earlier try may have created it before its answer was lost: ask first.
            if activity.attempts > 0 {
                await throttle()
                if try await channel.activityExists(id: activity.id) {
                    await finish(activity, state: "delivered", error: nil)
                    return true
                }
            }
            await throttle()
            try await channel.createActivity(
                id: activity.id, sessionID: activity.session, content: content, ephemeral: activity.ephemeral)
            await finish(activity, state: "delivered", error: nil)
            return true
        } catch {
            let failure = error as? AgentChannelFailure
            // Refused for the rate: nothing was created, so it is not a try (and needs no lookup
            // before the next); it waits for Linear's reset, or a second.
            let limited = failure?.rateLimitedUntilMs
            let attempts = limited == nil ? activity.attempts + 1 : activity.attempts
            let giveUp =
                (failure?.isPermanent ?? false)
                || (attempts >= Self.maxAttempts && now() - activity.createdAtMs >= Self.giveUpAfterMs)
            outcomes?.labels(activity.type, giveUp ? "failed" : "retried").inc()
            let backoff = min(Int64(1000) << Int64(min(max(attempts, 1) - 1, 16)), Self.maxBackoffMs)
            let next: Int64
            if let limited {
                next = max(now().addingSaturating(1000), min(limited ?? 0, now().addingSaturating(3_600_000)))
            } else {
                next = now().addingSaturating(backoff)
            }
            let message = String("\(error)".prefix(500))
            log(
                "agent activities: \(activity.id) for session \(activity.session) failed (try \(attempts)): \(message)"
            )
            do {
                try await database.write { conn in
                    try conn.execute(
                        """
                        UPDATE agent_activities SET attempts = ?2, next_at_ms = ?3, last_error = ?4, state = ?5
                        WHERE id = ?1 AND state = 'pending'

                        """,
                        [
                            .text(activity.id), .integer(Int64(attempts)), .integer(next), .text(message),
                            .text(giveUp ? "failed" : "pending"),
                        ])
                }
            } catch {
                log("agent activities: cannot record a failed send: \(error)")
            }
            return false
        }
    }

    func finish(_ activity: Due, state: String, error: String?) async {
        outcomes?.labels(activity.type, state).inc()
        do {
            try await database.write { conn in
                try conn.execute(
                    """
                    UPDATE agent_activities SET state = ?2, delivered_at = CASE WHEN ?2 = 'delivered' THEN ?3 END,
                        last_error = coalesce(?4, last_error), attempts = attempts + 1
                    WHERE id = ?1
                    """, [.text(activity.id), .text(state), .text(Timestamp.now()), error.map(SQLValue.text) ?? .null])
            }
        } catch {
            log("agent activities: cannot record \(activity.id) as \(state): \(error)")
        }
    }

    /// Each session a delegation opened gets one try at starting work on its issue in Linear
    /// (the first started state, Baton as delegate).
    func startWork() async {
        let pending: [(tenant: String, session: String, issueID: String?, appUser: String?)]
        do {
            pending = try await database.read { conn in
                try conn.query(
                    """
                    SELECT tenant, session_id, issue_tracker_id, app_user_id FROM agent_sessions
                    WHERE start_state = 'pending' ORDER BY created_at LIMIT 20
                    """
                ).map {
                    (
                        $0.string("tenant") ?? "", $0.string("session_id") ?? "", $0.string("issue_tracker_id"),
                        $0.string("app_user_id")
                    )
                }
            }
        } catch {
            return
        }
        for session in pending {
            var state = "none"
            if let issueID = session.issueID, let appUser = session.appUser {
                do {
                    await throttle()
                    let done = try await channel.startWork(issueID: issueID, appUserID: appUser)
                    log("agent sessions: session \(session.session): \(done)")
                    state = "done"
                } catch {
                    log("agent sessions: cannot start work on the issue of session \(session.session): \(error)")
                    state = "failed"
                }
            }
            let recorded = state
            try? await database.write { conn in
                try conn.execute(
                    "UPDATE agent_sessions SET start_state = ?3 WHERE tenant = ?1 AND session_id = ?2",
                    [.text(session.tenant), .text(session.session), .text(recorded)])
            }
        }
    }

    /// Each new session gets one try at a link to Baton's page for its issue.
    func setLinks() async {
        let pending: [(tenant: String, session: String, issue: String?)]
        do {
            pending = try await database.read { conn in
                try conn.query(
                    """
                    SELECT tenant, session_id, issue FROM agent_sessions WHERE external_url_state = 'pending'
                    ORDER BY created_at LIMIT 20
                    """
                ).map { ($0.string("tenant") ?? "", $0.string("session_id") ?? "", $0.string("issue")) }
            }
        } catch {
            return
        }
        for session in pending {
            var state = "none"
            if let pageURL, let issue = session.issue {
                do {
                    await throttle()
                    try await channel.setExternalURL(sessionID: session.session, label: "Baton", url: pageURL(issue))
                    state = "set"
                } catch {
                    log("agent sessions: cannot link session \(session.session) to Baton: \(error)")
                }
            }
            let recorded = state
            try? await database.write { conn in
                try conn.execute(
                    "UPDATE agent_sessions SET external_url_state = ?3 WHERE tenant = ?1 AND session_id = ?2",
                    [.text(session.tenant), .text(session.session), .text(recorded)])
            }
        }
    }

    /// Waits, when this second's requests are spent, until the next second begins.
    func throttle() async {
        while true {
            let nowInstant = ContinuousClock.now
            let wait: Duration = window.withLock { w in
                if w.start.map({ nowInstant - $0 >= .seconds(1) }) ?? true { w = (nowInstant, 0) }
                if w.sent < perSecond {
                    w.sent += 1
                    return .zero
                }
                return max(.milliseconds(1), .seconds(1) - (nowInstant - (w.start ?? nowInstant)))
            }
            if wait == .zero { return }
            try? await Task.sleep(for: wait)
        }
    }
}

import BatonJSON
import BatonPlatform
import BatonWorkerProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The worker side of the protocol: heartbeats presence, long-polls for leases on `capacity`
/// slots, runs each job with its runner in its workspace, batches progress to the coordinator,
/// stops a job when told to cancel, passes steering on, and reports the outcome — retrying with
/// backoff while the coordinator is unreachable, so a finished result is not lost.
public final class WorkerLoop: Sendable {
    public let client: CoordinatorClient
    public let settings: WorkerSettings
    public let runners: RunnerCatalog
    private let log: @Sendable (String) -> Void
    private let state = Mutex(State())

    private struct State {
        var stopping = false
        var active: [Int64: Active] = [:]
        /// Lease polls in flight, by slot: `stop()` cancels them (never a running job).
        var polls: [Int: Task<LeaseAnswer?, any Error>] = [:]
        var completed = 0
        /// Each workspace's size and last change, and when that was measured (ms): a heartbeat
        /// walks a workspace's tree at most once a minute, and not while a job runs in it.
        var usage: [String: (bytes: Int64, modifiedMs: Int64, measuredMs: Int64)] = [:]
        /// The interval the coordinator asked for, when shorter than the setting.
        var heartbeatSeconds: Double?
        /// A removal's heartbeat is on its way, and another removal came after it started.
        var announcing = false
        var announceAgain = false
    }

    private struct Active {
        var task: Task<AgentOutcome, Never>
        var steer: AsyncStream<String>.Continuation
        /// The workspace it runs in, so a removal command never pulls it from under the job.
        var workspace: String?
    }

    public init(
        client: CoordinatorClient, settings: WorkerSettings, runners: RunnerCatalog = RunnerCatalog(),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.client = client
        self.settings = settings
        self.runners = runners
        self.log = log
    }

    /// Jobs finished (reported or given up) since start.
    public var completedCount: Int { state.withLock { $0.completed } }
    public var activeCount: Int { state.withLock { $0.active.count } }

    /// Stops leasing; running jobs finish and are reported, then `run` returns.
    public func stop() {
        let polls = state.withLock { state -> [Task<LeaseAnswer?, any Error>] in
            state.stopping = true
            return Array(state.polls.values)
        }
        for poll in polls { poll.cancel() }
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    /// Runs until `stop()` and every running job has been reported.
    public func run() async {
        // Announce ourselves before leasing: the coordinator knows no worker before its first heartbeat.
        var failures = 0
        while !isStopping {
            do {
                let answer = try await client.presence(await presenceOffPool())
                follow(answer)
                break
            } catch {
                failures += 1
                if failures == 1 { log("worker \(settings.name): cannot reach the coordinator yet: \(error)") }
                try? await Task.sleep(for: .milliseconds(Int(backoff(failures) * 1000)))
            }
        }
        let beat = Task { await self.heartbeatLoop() }
        await withTaskGroup(of: Void.self) { group in
            for slot in 0..<settings.capacity {
                group.addTask { await self.slotLoop(slot) }
            }
        }
        beat.cancel()
        // A last heartbeat says this worker is gone, so nothing more is assigned to it.
        _ = try? await client.presence(await presenceOffPool(status: .offline))
    }

    // MARK: Presence

    /// The heartbeat body, built on a thread of its own: it lists and measures the workspaces on
    /// disk, which must not hold a cooperative-pool thread.
    func presenceOffPool(status: PresenceReport.Status? = nil) async -> PresenceReport {
        await withCheckedContinuation { continuation in
            OSThread.detach(name: "baton-presence") { continuation.resume(returning: self.presence(status: status)) }
        }
    }

    func presence(status: PresenceReport.Status? = nil) -> PresenceReport {
        let load = activeCount
        let (workspaces, usage) = workspaceReports()
        return PresenceReport(
            instance: settings.name, status: status ?? (load > 0 ? .busy : .idle), tags: settings.tags,
            provider: runners.providers[0], providers: runners.providers, capacity: settings.capacity, load: load,
            topModels: settings.topModels().map { WorkerModel(name: $0.name, score: $0.score, fit: $0.fit) },
            nodeURL: settings.nodeURL, version: settings.version.isEmpty ? nil : settings.version,
            workspaces: workspaces, workspaceUsage: usage)
    }

    /// The inventory, each with `{path, bytes, last_used}` (size and last change once measured).
    func workspaceReports() -> (names: [String], usage: [String: WorkspaceUsage]) {
        let names = settings.workspaces.inventory()
        let now = Int64(time(nil)) * 1000
        let (known, busy) = state.withLock { s in (s.usage, Set(s.active.values.compactMap(\.workspace))) }
        // A set: with a thousand workspaces a list made this filter a million comparisons.
        let present = Set(names)
        var fresh = known.filter { present.contains($0.key) }
        for name in names where !busy.contains(name) && (fresh[name].map { now - $0.measuredMs >= 60_000 } ?? true) {
            if let usage = settings.workspaces.usage(name) {
                fresh[name] = (usage.bytes, usage.modifiedMs, now)
            }
        }
        state.withLock { $0.usage = fresh }
        var usage: [String: WorkspaceUsage] = [:]
        for name in names {
            usage[name] = WorkspaceUsage(
                path: settings.workspaces.root + "/" + name, bytes: fresh[name]?.bytes,
                lastUsed: fresh[name].map { Timestamp.format(milliseconds: $0.modifiedMs) })
        }
        return (names, usage)
    }

    private func heartbeatLoop() async {
        var failures = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(Int(heartbeatSeconds * 1000)))
            if Task.isCancelled { return }
            do {
                let answer = try await client.presence(await presenceOffPool())
                if failures > 0 { log("worker \(settings.name): the coordinator is reachable again") }
                failures = 0
                follow(answer)
            } catch {
                if failures == 0 { log("worker \(settings.name): heartbeat failed: \(error)") }
                failures += 1
            }
        }
    }

    /// Runs a heartbeat answer's commands and adopts the coordinator's interval when it asks for
    /// heartbeats more often than this worker's own setting (else it would be taken for offline).
    private func follow(_ answer: PresenceAnswer) {
        let wanted = answer.heartbeatIntervalS
        if (1...3600).contains(wanted) {
            state.withLock { $0.heartbeatSeconds = min(settings.heartbeatSeconds, Double(wanted)) }
        }
        for command in answer.commands { handle(command) }
    }

    /// Seconds between heartbeats now: the setting, or the coordinator's shorter interval.
    public var heartbeatSeconds: Double { state.withLock { $0.heartbeatSeconds ?? settings.heartbeatSeconds } }

    func handle(_ command: WorkerCommand) {
        switch command {
        case .cancelJob(let id): cancel(id)
        case .removeWorkspace(let name): Task { await self.removeWorkspace(name) }
        case .other(let json): log("worker \(settings.name): ignoring command \(json.text)")
        }
    }

    /// Runs the before_remove hook (a failure is logged) and removes the workspace, unless a
    /// running job is using it or the name is not a workspace's. `announce` sends a heartbeat at
    /// once, so the coordinator sees the inventory without it now rather than at the next beat.
    func removeWorkspace(_ name: String, announce: Bool = true) async {
        let busy = state.withLock { $0.active.values.contains { $0.workspace == name } }
        guard !busy else {
            log("worker \(settings.name): not removing workspace \(name): a running job uses it")
            return
        }
        // The name comes from the coordinator: validated (and resolved inside the root) before
        // any hook runs, so `../x` or an absolute path never gets a before_remove hook.
        let path: String
        do {
            guard let existing = try settings.workspaces.existing(key: name) else { return }
            path = existing
        } catch {
            log("worker \(settings.name): not removing workspace \(name.debugDescription): \(error)")
            return
        }
        if settings.hooks.scripts[.beforeRemove]?.isEmpty == false {
            // Confined like the attempts' hooks: it runs in a workspace an agent has written.
            let environment = ["BATON_WORKSPACE": path]
            let temporary = Workspaces.makeTemporary(prefix: "baton-remove")
            let confinement = settings.sandbox.confinement(
                environment: environment, workspace: path, temporary: temporary ?? path)
            let hook = await settings.hooks.run(
                .beforeRemove, in: path, environment: environment, confinement: confinement)
            if let temporary { Workspaces.removeTree(temporary) }
            if !hook.succeeded {
                log("worker \(settings.name): the before_remove hook for \(name) \(hook.sentence)")
            }
        }
        do {
            try settings.workspaces.remove(key: name)
            guard announce else { return }
            log("worker \(settings.name): removed workspace \(name)")
            // Said at once rather than at the next heartbeat: the coordinator announces the removal
            // when an inventory no longer lists it.
            await announceRemoval()
        } catch {
            log("worker \(settings.name): cannot remove workspace \(name): \(error)")
        }
    }

    /// The least time between two removals' heartbeats.
    static let announceSpacing = Duration.seconds(1)

    /// Sends a heartbeat now for a removal, coalesced: removals that come while one is on its way
    /// share one more, sent at least `announceSpacing` after it. Each heartbeat carries the whole
    /// inventory (up to 1,000 workspaces), so one per removal, with issues closing by the dozen
    /// each second, made the heaviest requests of all, and they piled up whenever the server
    /// slowed (a soak under heaptrack found over 100 MiB of them alive at once).
    func announceRemoval() async {
        let leads = state.withLock { state -> Bool in
            if state.announcing { state.announceAgain = true }
            defer { state.announcing = true }
            return !state.announcing
        }
        guard leads else { return }
        while true {
            let started = ContinuousClock.now
            if let answer = try? await client.presence(await presenceOffPool()) { follow(answer) }
            let again = state.withLock { state -> Bool in
                defer { state.announceAgain = false }
                state.announcing = state.announceAgain
                return state.announceAgain
            }
            guard again else { return }
            try? await Task.sleep(until: started + Self.announceSpacing, clock: .continuous)
        }
    }

    func cancel(_ id: Int64) {
        let task = state.withLock { $0.active[id]?.task }
        task?.cancel()
    }

    func backoff(_ failures: Int) -> Double {
        min(settings.maxBackoffSeconds, 0.25 * Double(1 << min(failures, 10)))
    }

    // MARK: Leasing

    private func slotLoop(_ slot: Int) async {
        var failures = 0
        while !isStopping {
            let poll = Task { [client, settings] () throws -> LeaseAnswer? in
                try await client.lease(instance: settings.name, waitS: settings.leaseWaitSeconds)
            }
            let stopped = state.withLock { state -> Bool in
                state.polls[slot] = poll
                return state.stopping
            }
            if stopped { poll.cancel() }
            do {
                let leased = try await poll.value
                let receivedAt = ContinuousClock.now
                state.withLock { $0.polls[slot] = nil }
                guard let job = leased else { continue }
                failures = 0
                await run(job, receivedAt: receivedAt)
            } catch {
                state.withLock { $0.polls[slot] = nil }
                if isStopping { break }
                failures += 1
                if failures == 1 { log("worker \(settings.name): lease failed: \(error)") }
                if case .refused(let status, _)? = error as? CoordinatorError, status == 404 {
                    // Not registered yet (the first heartbeat has not landed): wait for it.
                    try? await Task.sleep(for: .milliseconds(200))
                } else {
                    try? await Task.sleep(for: .milliseconds(Int(backoff(failures) * 1000)))
                }
            }
        }
    }

    // MARK: One job

    /// Runs one leased job to its end and reports it (retrying until the coordinator takes it),
    /// unless its lease was lost first (`receivedAt`: when the lease answer arrived).
    func run(_ leased: LeaseAnswer, receivedAt: ContinuousClock.Instant = .now) async {
        let job = leased.job
        let (steer, steerInput) = AsyncStream<String>.makeStream()
        let progress = ProgressBuffer()
        let lease = LeaseDeadline(leased.lease, receivedAt: receivedAt)
        let runTask = Task { await self.attempt(job, steer: steer, progress: progress) }
        // Registered so a `cancel_job` command in a heartbeat answer reaches it.
        let workspace = try? Workspaces.name(for: job.issue ?? "job-\(job.id)")
        state.withLock { $0.active[job.id] = Active(task: runTask, steer: steerInput, workspace: workspace) }
        let reporter = Task {
            await self.reportLoop(leased, lease: lease, progress: progress, steer: steerInput, attempt: runTask)
        }
        let watchdog = Task { await self.watch(lease, job: job.id, attempt: runTask) }
        let outcome = await runTask.value
        // The attempt is over, so nothing uses the workspace now: a removal command that comes
        // while the result is on its way (the coordinator already counts the job finished once
        // it has the result) is followed, not dropped as if the job still ran.
        state.withLock { $0.active[job.id]?.workspace = nil }
        watchdog.cancel()
        reporter.cancel()
        _ = await reporter.value
        steerInput.finish()
        if lease.isLost {
            // Any report now could renew a lease this worker gave up: the coordinator requeues
            // the job when the lease expires on its side.
            log("worker \(settings.name): job \(job.id) is not reported: its lease was lost")
        } else {
            // What the runner reported since the last batch, so the job shows its last progress.
            if let (snapshot, tokens) = progress.takeIfChanged() {
                _ = try? await client.report(leased, Self.report(leased, progress: snapshot, tokens: tokens))
            }
            await finish(leased, outcome, progress: progress)
        }
        state.withLock {
            $0.active[job.id] = nil
            $0.completed += 1
        }
        // A job of no issue has nothing to come back to: its workspace goes with it (SPEC §7.8),
        // quietly — the next heartbeat's inventory says so.
        if job.issue == nil, !settings.keepAdHocWorkspaces, let workspace {
            await removeWorkspace(workspace, announce: false)
        }
    }

    /// Cancels the attempt when its lease deadline passes without a renewal (SPEC §7.14), so its
    /// agent has ended before the lease expires on the coordinator and the job runs elsewhere.
    private func watch(_ lease: LeaseDeadline, job: Int64, attempt: Task<AgentOutcome, Never>) async {
        while !Task.isCancelled {
            guard let deadline = lease.deadline else { return }
            if lease.hasPassed() {
                log(
                    "worker \(settings.name): job \(job): the lease could not be renewed in time; stopping its agent before the lease expires"
                )
                attempt.cancel()
                return
            }
            try? await Task.sleep(until: deadline, clock: .continuous)
        }
    }

    private func attempt(_ job: LeasedJob, steer: AsyncStream<String>, progress: ProgressBuffer) async
        -> AgentOutcome
    {
        let key = job.issue ?? "job-\(job.id)"
        let workspace: Workspaces.Workspace
        do {
            workspace = try settings.workspaces.prepare(key: key)
        } catch {
            return .failed("workspace: \(error)")
        }
        var environment = [
            "BATON_JOB_ID": String(job.id), "BATON_ISSUE": job.issue ?? "", "BATON_WORKSPACE": workspace.path,
        ]
        // The coordinator's context (git_url, git_branch, …) as BATON_GIT_URL, BATON_GIT_BRANCH, …
        for (key, value) in job.contextEntries
        where !key.isEmpty && key.utf8.allSatisfy({ $0 == 95 || (97...122).contains($0) || (48...57).contains($0) }) {
            environment["BATON_" + key.uppercased()] = value
        }
        // A private temporary directory for the attempt's processes, removed after it.
        guard let temporary = Workspaces.makeTemporary(prefix: "baton-job-\(job.id)") else {
            return .failed("cannot make a temporary directory for the attempt: \(String(cString: strerror(errno)))")
        }
        defer { Workspaces.removeTree(temporary) }
        let confinement = settings.sandbox.confinement(
            environment: environment, workspace: workspace.path, temporary: temporary)
        if workspace.created {
            let outcome = await settings.hooks.run(
                .afterCreate, in: workspace.path, environment: environment, confinement: confinement)
            if !outcome.succeeded { return .failed("the after_create hook \(outcome.sentence)") }
        }
        let before = await settings.hooks.run(
            .beforeRun, in: workspace.path, environment: environment, confinement: confinement)
        if !before.succeeded { return .failed("the before_run hook \(before.sentence)") }
        guard let runner = runners.runner(for: job.provider) else {
            return .failed("this worker has no runner for provider \(JSONText.quote(job.provider))")
        }
        let task = AgentTask(
            jobID: job.id, attempt: job.attempt, issue: job.issue, prompt: job.prompt, input: job.input,
            provider: job.provider, model: job.model, workspace: workspace.path, maxTurns: settings.maxTurns,
            confinement: confinement)
        let changes = await WorkspaceChanges.start(path: workspace.path, confinement: confinement)
        var outcome = await runner.run(task, steer: steer) { event in progress.record(event) }
        if Task.isCancelled {
            outcome.status = .failed
            outcome.error = "cancelled"
        }
        // What changed in the workspace, and the sandbox it ran in, go into every job's report.
        var report = outcome.report ?? AgentReport(agent: runner.kind)
        let (files, diffStat) = await changes.changes()
        report.filesChanged = files
        report.diffStat = diffStat
        report.sandbox = confinement.description
        if report.finalMessage == nil { report.finalMessage = outcome.result }
        outcome.report = report
        let after = await settings.hooks.run(
            .afterRun, in: workspace.path, environment: environment, confinement: confinement)
        if !after.succeeded { log("worker \(settings.name): job \(job.id): the after_run hook \(after.sentence)") }
        let totals = progress.tokens
        if outcome.tokensInput == 0 && outcome.tokensOutput == 0, let totals {
            outcome.tokensInput = totals.input
            outcome.tokensOutput = totals.output
        }
        return outcome
    }

    /// Sends what the runner reported about every `eventIntervalMs`; a `cancel` answer (or a
    /// stale lease) stops the attempt, steering goes to the runner.
    private func reportLoop(
        _ leased: LeaseAnswer, lease: LeaseDeadline, progress: ProgressBuffer, steer: AsyncStream<String>.Continuation,
        attempt: Task<AgentOutcome, Never>
    ) async {
        var quietMs = 0
        while !Task.isCancelled && !lease.isLost {
            try? await Task.sleep(for: .milliseconds(settings.eventIntervalMs))
            // Nothing new is still reported every `quietReportMs`: the report extends the lease
            // and its answer is how a cancel reaches a silent agent.
            let changed = progress.takeIfChanged()
            quietMs += settings.eventIntervalMs
            if changed == nil && quietMs < settings.quietReportMs { continue }
            quietMs = 0
            do {
                let sentAt = ContinuousClock.now
                let answer = try await client.report(
                    leased, Self.report(leased, progress: changed?.0, tokens: changed?.1))
                lease.renewed(answer.lease, sentAt: sentAt)
                for message in answer.steer { steer.yield(message.message) }
                if answer.cancel { attempt.cancel() }
            } catch {
                if case .refused(let status, _) = error, status == 409 || status == 404 {
                    log("worker \(settings.name): job \(leased.job.id) was taken back (\(error)); stopping it")
                    attempt.cancel()
                }
                // Unreachable: the next report carries the same totals.
                progress.markChanged()
            }
        }
    }

    /// A progress report: the buffer's document and token totals, or neither (a quiet report).
    static func report(_ job: LeaseAnswer, progress: JSONValue?, tokens: (input: Int64, output: Int64)?)
        -> ProgressReport
    {
        ProgressReport(
            token: job.lease.token, progress: progress, tokensInput: tokens?.input, tokensOutput: tokens?.output)
    }

    /// Reports the outcome; retries with backoff while the coordinator is unreachable.
    private func finish(_ leased: LeaseAnswer, _ outcome: AgentOutcome, progress: ProgressBuffer) async {
        let job = leased.job
        var failures = 0
        while true {
            do {
                try await client.complete(leased, outcome)
                if failures > 0 { log("worker \(settings.name): job \(job.id) reported after \(failures) retries") }
                return
            } catch {
                if case .refused(400, let message) = error, outcome.report != nil {
                    // The outcome matters more than its report: send it without one.
                    log(
                        "worker \(settings.name): job \(job.id): the coordinator refused the report (\(message)); sending the outcome without it"
                    )
                    var bare = outcome
                    bare.report = nil
                    return await finish(leased, bare, progress: progress)
                }
                if !error.isRetryable {
                    // 409: the lease went stale (the job was requeued elsewhere); nothing to keep.
                    log("worker \(settings.name): job \(job.id): the coordinator refused the result: \(error)")
                    return
                }
                failures += 1
                if failures == 1 { log("worker \(settings.name): job \(job.id): cannot report yet: \(error)") }
                try? await Task.sleep(for: .milliseconds(Int(backoff(failures) * 1000)))
            }
        }
    }
}

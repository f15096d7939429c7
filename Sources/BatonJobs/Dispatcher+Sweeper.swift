import BatonCore
import BatonJSON
import BatonStore

extension Dispatcher {
    // MARK: Timers

    /// Requeues (or fails) jobs whose lease expired and takes workers offline whose heartbeats
    /// stopped. Reads memory first and writes only when something is due.
    public func sweep() async throws {
        let now = clock.now()
        let stale = settings.staleAfterMs
        let due = state.withLock { state -> Bool in
            if state.live.values.contains(where: { $0.status == .running && ($0.leaseExpiresMs ?? .max) <= now }) {
                return true
            }
            return state.tenants.values.contains { board in
                board.workers.values.contains { $0.online != $0.isOnline(now: now, staleAfterMs: stale) }
            }
        }
        if due {
            try await mutate { txn in
                let expired = txn.state.live.values.filter {
                    $0.status == .running && ($0.leaseExpiresMs ?? .max) <= txn.now
                }.map(\.id).sorted()
                var tenants: Set<String> = []
                for id in expired {
                    let job = try txn.job(id)
                    tenants.insert(job.tenant)
                    if let name = job.worker {
                        try txn.conn.execute(
                            "UPDATE workers SET jobs_failed = jobs_failed + 1 WHERE tenant = ?1 AND instance = ?2",
                            [.text(job.tenant), .text(name)])
                        txn.state.tenants[job.tenant]?.workers[name]?.failed += 1
                    }
                    let reason = "the lease on \(job.worker ?? "its worker") expired"
                    if job.attempt < txn.settings.maxJobAttempts {
                        try txn.requeue(job, bumpAttempt: true, reason: reason)
                    } else {
                        try txn.finish(
                            job, as: .failed,
                            error: "\(reason) on attempt \(job.attempt) of \(txn.settings.maxJobAttempts); giving up")
                    }
                }
                for tenant in txn.state.tenants.keys.sorted() {
                    for name in (txn.state.tenants[tenant]?.workers.keys.sorted() ?? []) {
                        guard let entry = txn.state.tenants[tenant]?.workers[name] else { continue }
                        let online = entry.isOnline(now: txn.now, staleAfterMs: txn.settings.staleAfterMs)
                        guard online != entry.online else { continue }
                        txn.state.tenants[tenant]?.workers[name]?.online = online
                        try txn.emit(
                            online ? "worker.online" : "worker.offline", tenant: tenant,
                            [
                                "instance": .string(name),
                                "reason": .string("no heartbeat for \(txn.settings.staleAfterMs / 1000) s"),
                            ])
                        if !online {
                            try txn.takeBackAssigned(
                                tenant: tenant, worker: name, reason: "worker \(name) went offline")
                        }
                        tenants.insert(tenant)
                    }
                }
                for tenant in tenants.sorted() { try txn.schedule(tenant) }
            }
        }
    }

    /// `baton_workers{state}`: online, offline, paused, busy and idle workers now.
    /// Read at a scrape, on an event loop: when the writer holds the state (a transaction, a
    /// reload) the last counts are given instead of waiting for it.
    func workerCounts() -> [(label: String, value: Double)] {
        let now = clock.now()
        let staleAfterMs = settings.staleAfterMs
        let fresh = state.withLockIfAvailable { state -> [Int] in
            var c = [0, 0, 0, 0, 0]
            for board in state.tenants.values {
                for w in board.workers.values {
                    let online = w.isOnline(now: now, staleAfterMs: staleAfterMs)
                    c[online ? 0 : 1] += 1
                    if w.paused { c[2] += 1 }
                    if online { c[w.active > 0 ? 3 : 4] += 1 }
                }
            }
            return c
        }
        let counts = lastWorkerCounts.withLock { last in
            if let fresh { last = fresh }
            return last
        }
        return zip(["online", "offline", "paused", "busy", "idle"], counts).map { ($0, Double($1)) }
    }

    /// The longest the sweeper sleeps when nothing is due sooner (no running lease, no online
    /// worker): a bound, so a missed wake-up could delay a sweep by this much at most.
    public static let maxSweepGapMs: Int64 = 60_000

    /// When the next sweep has something to do: the earliest expiry of a running job's lease or
    /// moment an online worker's heartbeat goes stale, within `maxSweepGapMs` of `now`.
    func nextSweepDueMs(now: Int64) -> Int64 {
        let staleAfterMs = settings.staleAfterMs
        return state.withLock { state in
            var due = now + Self.maxSweepGapMs
            for job in state.live.values where job.status == .running {
                if let expires = job.leaseExpiresMs { due = min(due, expires) }
            }
            for board in state.tenants.values {
                for w in board.workers.values where w.online && w.report.status != .offline {
                    due = min(due, w.lastHeartbeatMs + staleAfterMs)
                }
            }
            return due
        }
    }

    /// Something falls due at `ms`: wakes the sweeper if it sleeps past that.
    func sweep(by ms: Int64) {
        if ms < sweepAtMs.load(ordering: .acquiring) { sweepWake.signal() }
    }

    /// Sweeps whenever something falls due (a lease expiring, a heartbeat going stale) until the
    /// task is cancelled; an idle coordinator wakes for its workers' stale moments only, not
    /// every second (SPEC §6.7).
    public func runSweeper(log: @escaping @Sendable (String) -> Void) async {
        // After a failed sweep the same work is still due: retry a second later, not at once.
        var notBefore = Int64.min
        while !Task.isCancelled {
            let now = clock.now()
            // One millisecond past the moment, as `isOnline` and the expiry test are strict.
            let due = max(nextSweepDueMs(now: now) + 1, notBefore)
            sweepAtMs.store(due, ordering: .releasing)
            // A wake-up that raced the store above is kept by the signal until this wait.
            await sweepWake.wait(timeout: .milliseconds(max(0, due - now)))
            sweepAtMs.store(.max, ordering: .releasing)
            if Task.isCancelled { return }
            do {
                try await sweep()
                notBefore = .min
            } catch {
                log("error: dispatcher sweep failed: \(error)")
                notBefore = clock.now() + 1000
            }
        }
    }
}

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
        publishWorkerGauges(now: now, staleAfterMs: stale)
    }

    func publishWorkerGauges(now: Int64, staleAfterMs: Int64) {
        guard let metrics else { return }
        let counts = state.withLock { state -> [Int] in
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
        metrics.workers(online: counts[0], offline: counts[1], paused: counts[2], busy: counts[3], idle: counts[4])
    }

    /// Sweeps every `interval` until the task is cancelled.
    public func runSweeper(every interval: Duration = .seconds(1), log: @escaping @Sendable (String) -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            do {
                try await sweep()
            } catch {
                log("error: dispatcher sweep failed: \(error)")
            }
        }
    }
}

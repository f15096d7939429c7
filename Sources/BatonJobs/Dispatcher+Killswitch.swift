import BatonCore
import BatonJSON

extension Dispatcher {
    public struct KillswitchChange: Sendable {
        public var state: KillswitchState
        public var previousLevel: Int
        public var cancelledJobs: Int
        public var pausedWorkers: Int
        public var resumedWorkers: Int
    }

    public func killswitch(tenant: String) -> KillswitchState {
        state.withLock { $0.tenants[tenant]?.killswitch ?? .off }
    }

    /// Sets the tenant's killswitch to `level` (0–4) and applies that level's effects at once.
    public func setKillswitch(level: Int, reason: String, tenant: String, actor: AuditActor) async throws
        -> KillswitchChange
    {
        guard (0...4).contains(level) else { throw DispatchError.invalid("level must be a whole number from 0 to 4") }
        return try await mutate { txn in
            let previous = txn.board(tenant).killswitch.level
            let (cancelled, paused) = try txn.setKillswitch(
                tenant: tenant, level: level, reason: reason, by: actor.label)
            return KillswitchChange(
                state: txn.board(tenant).killswitch, previousLevel: previous, cancelledJobs: cancelled,
                pausedWorkers: paused, resumedWorkers: 0)
        }
    }

    /// Back to level 0. Paused workers stay paused unless `resumeAll`.
    public func clearKillswitch(tenant: String, resumeAll: Bool, actor: AuditActor) async throws -> KillswitchChange {
        try await mutate { txn in
            let previous = txn.board(tenant).killswitch.level
            _ = try txn.setKillswitch(tenant: tenant, level: 0, reason: "cleared", by: actor.label)
            var resumed = 0
            if resumeAll {
                for name in txn.board(tenant).workers.keys.sorted() where txn.board(tenant).workers[name]!.paused {
                    try txn.setPaused(tenant: tenant, worker: name, false, reason: "killswitch cleared with resume_all")
                    resumed += 1
                }
            }
            try txn.schedule(tenant)
            return KillswitchChange(
                state: txn.board(tenant).killswitch, previousLevel: previous, cancelledJobs: 0, pausedWorkers: 0,
                resumedWorkers: resumed)
        }
    }
}

import BatonCore
import BatonJSON
import BatonStore
import BatonWorkerProtocol

extension Dispatcher {
    /// `GET /api/v1/workspaces`: every workspace in the inventories workers report, with what
    /// they say of it and whether a job that is not finished uses it.
    public func workspaces(tenant: String) async throws -> [JSONValue] {
        let workers = self.workers(tenant: tenant)
        let busy = try await database.read { conn in
            Set(
                try conn.query(
                    "SELECT issue, id FROM jobs WHERE tenant = ?1 AND finished_at IS NULL", [.text(tenant)]
                ).flatMap { row -> [String] in
                    [row.string("issue"), row.int64("id").map { "job-\($0)" }].compactMap { $0 }
                })
        }
        var out: [JSONValue] = []
        for view in workers.sorted(by: { $0.entry.instance < $1.entry.instance }) {
            let report = view.entry.report
            for name in report.workspaces {
                let usage = report.workspaceUsage[name] ?? WorkspaceUsage()
                out.append([
                    "key": .string(name), "worker": .string(report.instance), "worker_online": .bool(view.online),
                    "issue": IssueIdentifier.isValid(name) ? .string(name) : .null,
                    "path": usage.path.map(JSONValue.string) ?? .null, "bytes": usage.bytes.map(JSONValue.int) ?? .null,
                    "last_used": usage.lastUsed.map(JSONValue.string) ?? .null, "in_use": .bool(busy.contains(name)),
                ])
            }
        }
        return out
    }

    /// `DELETE /api/v1/workspaces/:key`: asks every worker that keeps the workspace to remove it
    /// (its before_remove hook first). 404 when no worker reports it, 409 while a job that is not
    /// finished uses it. Returns the workers asked; `workspace.removed` follows from each.
    public func removeWorkspace(_ key: String, tenant: String) async throws -> [String] {
        try await mutate { txn in
            let holders = txn.board(tenant).workers.values.filter { $0.report.workspaces.contains(key) }.map(\.instance)
                .sorted()
            guard !holders.isEmpty else {
                throw DispatchError.notFound("no worker reports a workspace \(JSONText.quote(key))")
            }
            let jobID = key.hasPrefix("job-") ? Int64(key.dropFirst(4)) : nil
            let running =
                try txn.conn.scalar(
                    Dispatcher.unfinishedJobsOfWorkspace,
                    [
                        .text(tenant), .text(key), jobID.map(SQLValue.integer) ?? .null,
                    ])?.intValue ?? 0
            if running > 0 {
                throw DispatchError.conflict(
                    "an attempt is running in workspace \(JSONText.quote(key)); abort it first")
            }
            for worker in holders {
                try txn.command(tenant: tenant, worker: worker, .removeWorkspace(key))
            }
            try txn.emit(
                "workspace.removing", tenant: tenant, issue: IssueIdentifier.isValid(key) ? key : nil,
                ["workspace": .string(key), "workers": .array(holders.map(JSONValue.string))])
            return holders
        }
    }

    /// Unfinished jobs using workspace ?2 of tenant ?1: its issue's (a seek in
    /// `jobs_unfinished_by_issue`) and the ad-hoc job ?3's. Two lookups rather than one
    /// `issue = ?2 OR id = ?3`, which SQLite answers by walking every job of the tenant.
    static let unfinishedJobsOfWorkspace = """
        SELECT (SELECT count(*) FROM jobs WHERE tenant = ?1 AND issue = ?2 AND finished_at IS NULL)
            + (SELECT count(*) FROM jobs WHERE id = ?3 AND tenant = ?1 AND finished_at IS NULL)
        """

    /// Asks `worker` to remove its workspace `name` (after its before_remove hook); the command
    /// travels in the worker's next heartbeat answer.
    public func removeWorkspace(_ name: String, worker: String, tenant: String) async throws {
        try await mutate { txn in
            guard txn.board(tenant).workers[worker] != nil else {
                throw DispatchError.notFound("no worker \(JSONText.quote(worker))")
            }
            try txn.command(tenant: tenant, worker: worker, .removeWorkspace(name))
        }
    }
}

import BatonCore
import BatonJobs
import BatonTemplates

extension Orchestrator {
    /// One poll: every candidate is ingested (so an issue no webhook announced is found), then
    /// tracked issues that were not among them are refreshed (they may have left the active states
    /// or ended).
    public func poll(_ tracker: any IssueTracker, tenant: String) async throws {
        let candidates = try await tracker.candidates()
        for issue in candidates { try await ingest(issue, tenant: tenant, actor: "poll") }
        let seen = Set(candidates.compactMap(\.trackerID))
        let tracked = try await database.read { conn in
            try conn.query(
                "SELECT tracker_id FROM issues WHERE tenant = ?1 AND state != 'released' AND tracker_id IS NOT NULL",
                [.text(tenant)]
            ).compactMap { $0.string("tracker_id") }
        }.filter { !seen.contains($0) }
        guard !tracked.isEmpty else { return }
        for start in stride(from: 0, to: tracked.count, by: 50) {
            let ids = Array(tracked[start..<min(start + 50, tracked.count)])
            let found = try await tracker.refresh(ids: ids)
            for issue in found { try await ingest(issue, tenant: tenant, actor: "poll") }
            // An issue the tracker no longer has was deleted there.
            let returned = Set(found.compactMap(\.trackerID))
            for id in ids where !returned.contains(id) {
                let identifier = try await database.read { conn in
                    try IssueRecord.load(byTrackerID: id, tenant: tenant, from: conn)?.tracked.identifier
                }
                if let identifier { try await remove(identifier, tenant: tenant, actor: "poll") }
            }
        }
    }
}

/// The worker that last ran each issue's job, for the router's stickiness score: at most `limit`
/// issues per tenant, the least recently finished forgotten first. Issues never end for the
/// dispatcher (it knows them only as identifiers), so without a bound this grew by one entry per
/// issue for the life of the process (`router.sticky_issues`).
struct RecentIssueWorkers: Sendable {
    private var workers: [String: Entry] = [:]
    /// Issues in the order they were last set, with the stamp of that setting; entries whose
    /// stamp is older than the issue's current one are stale and skipped.
    private var order: [(issue: String, stamp: UInt64)] = []
    private var head = 0
    private var stamp: UInt64 = 0

    private struct Entry: Sendable {
        var worker: String
        var stamp: UInt64
    }

    var count: Int { workers.count }

    subscript(issue: String) -> String? { workers[issue]?.worker }

    /// Records `worker` as the issue's last, then forgets the least recently set issues beyond `limit`.
    mutating func set(_ issue: String, _ worker: String, limit: Int) {
        stamp &+= 1
        workers[issue] = Entry(worker: worker, stamp: stamp)
        order.append((issue, stamp))
        while workers.count > max(0, limit), head < order.count {
            let oldest = order[head]
            head += 1
            if workers[oldest.issue]?.stamp == oldest.stamp { workers.removeValue(forKey: oldest.issue) }
        }
        // Stale and consumed positions are dropped once they outnumber the live ones.
        if head > 1024 && head * 2 > order.count || order.count - head > 2 * max(workers.count, 512) {
            order = order[head...].filter { workers[$0.issue]?.stamp == $0.stamp }
            head = 0
        }
    }

    /// Positions kept for eviction order: bounded by the entries (test hook).
    var orderCount: Int { order.count - head }
}

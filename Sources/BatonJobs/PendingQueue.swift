/// Pending job ids by priority, oldest (smallest id) first within each priority.
struct PendingQueue: Sendable {
    /// Index 0 is high, 1 normal, 2 low; each lane sorted ascending from `heads[i]`.
    private var lanes: [[Int64]] = [[], [], []]
    private var heads: [Int] = [0, 0, 0]

    private static func lane(_ priority: JobPriority) -> Int { 2 - priority.rank }

    var count: Int { (0..<3).reduce(0) { $0 + lanes[$1].count - heads[$1] } }

    mutating func insert(_ id: Int64, priority: JobPriority) {
        let l = Self.lane(priority)
        if lanes[l].count == heads[l] || lanes[l].last! < id {
            lanes[l].append(id)
            return
        }
        var low = heads[l]
        var high = lanes[l].count
        while low < high {
            let mid = (low + high) / 2
            if lanes[l][mid] < id { low = mid + 1 } else { high = mid }
        }
        lanes[l].insert(id, at: low)
    }

    mutating func remove(_ id: Int64, priority: JobPriority) {
        let l = Self.lane(priority)
        guard let index = lanes[l][heads[l]...].firstIndex(of: id) else { return }
        if index == heads[l] {
            heads[l] += 1
            compact(l)
        } else {
            lanes[l].remove(at: index)
        }
    }

    /// Up to `limit` ids in dispatch order: high before normal before low, oldest first.
    func first(_ limit: Int) -> [(id: Int64, priority: JobPriority)] {
        var out: [(Int64, JobPriority)] = []
        let priorities: [JobPriority] = [.high, .normal, .low]
        for l in 0..<3 {
            var i = heads[l]
            while i < lanes[l].count && out.count < limit {
                out.append((lanes[l][i], priorities[l]))
                i += 1
            }
            if out.count >= limit { break }
        }
        return out
    }

    func all() -> [Int64] { (0..<3).flatMap { lanes[$0][heads[$0]...] } }

    private mutating func compact(_ l: Int) {
        if heads[l] == lanes[l].count {
            lanes[l].removeAll(keepingCapacity: true)
            heads[l] = 0
        } else if heads[l] > 1024 && heads[l] * 2 > lanes[l].count {
            lanes[l].removeFirst(heads[l])
            heads[l] = 0
        }
    }
}

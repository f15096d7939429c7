import BatonCore

/// The part of a worker the router reads for every candidate, as plain values: no strings, arrays
/// or sets to retain, and small enough that 10,000 of them stay in cache.
struct RoutingKey: Sendable {
    var lastHeartbeatMs: Int64
    /// Bloom filters (see `NameBloom`) of the worker's providers, tags and model names.
    var providers: UInt64
    var tags: UInt64
    var models: UInt64
    var active: Int
    var capacity: Int
    var offline: Bool
    var paused: Bool
    var listsModels: Bool

    init(_ entry: WorkerEntry) {
        lastHeartbeatMs = entry.lastHeartbeatMs
        providers = NameBloom.of(entry.report.providers) | NameBloom.bit(entry.report.provider)
        tags = NameBloom.of(entry.report.tags)
        models = NameBloom.of(entry.report.models.lazy.map(\.name))
        active = entry.active
        capacity = entry.report.capacity
        offline = entry.report.status == .offline
        paused = entry.paused
        listsModels = !entry.report.models.isEmpty
    }
}

/// One bit per name, chosen by the name's hash (seeded per process, which is all a cache needs).
/// A bit missing from a worker's filter means the name is certainly missing; a bit present is
/// confirmed against the real strings.
enum NameBloom {
    static func bit(_ name: String) -> UInt64 { 1 &<< UInt64(UInt(bitPattern: name.hashValue) & 63) }

    static func of<Names: Sequence<String>>(_ names: Names) -> UInt64 {
        var bits: UInt64 = 0
        for name in names { bits |= bit(name) }
        return bits
    }
}

/// One tenant's workers by instance name, stored contiguously with a parallel array of routing
/// keys, so the router walks plain values instead of copying entries out of a dictionary (at
/// 10,000 workers those copies were most of a decision). Reads and writes look like a
/// dictionary's; every write goes through the subscript, which keeps the keys in step.
public struct WorkerTable: Sendable {
    public private(set) var entries: [WorkerEntry] = []
    private(set) var routingKeys: [RoutingKey] = []
    private var slots: [String: Int] = [:]

    public init() {}

    public init<Workers: Sequence<WorkerEntry>>(_ workers: Workers) {
        for worker in workers { self[worker.instance] = worker }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }
    /// Every worker, in insertion order (changed by removals).
    public var values: [WorkerEntry] { entries }
    /// Every instance name, as a dictionary's `keys`.
    public var keys: Dictionary<String, Int>.Keys { slots.keys }

    public subscript(instance: String) -> WorkerEntry? {
        get { slots[instance].map { entries[$0] } }
        set {
            if let slot = slots[instance] {
                if let newValue {
                    entries[slot] = newValue
                    routingKeys[slot] = RoutingKey(newValue)
                } else {
                    remove(at: slot)
                }
            } else if let newValue {
                slots[instance] = entries.count
                entries.append(newValue)
                routingKeys.append(RoutingKey(newValue))
            }
        }
    }

    /// Swap-remove: the last entry takes the hole, so removal stays O(1).
    private mutating func remove(at slot: Int) {
        let removed = entries[slot].instance
        let last = entries.count - 1
        if slot != last {
            entries.swapAt(slot, last)
            routingKeys.swapAt(slot, last)
            slots[entries[slot].instance] = slot
        }
        entries.removeLast()
        routingKeys.removeLast()
        slots[removed] = nil
    }
}

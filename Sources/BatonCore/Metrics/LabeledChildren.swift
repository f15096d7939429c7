import Synchronization

/// The children of one family, keyed by label values. Callers cache the child they get back, so
/// the lock here is taken once per label combination rather than once per increment.
final class LabeledChildren<Child: AnyObject & Sendable>: Sendable {
    let labelNames: [String]
    private let make: @Sendable () -> Child
    private let table: Mutex<[[String]: Child]>

    init(labelNames: [String], make: @escaping @Sendable () -> Child) {
        self.labelNames = labelNames
        self.make = make
        // A family without labels has exactly one child, exposed (as 0) before its first use.
        table = Mutex(labelNames.isEmpty ? [[]: make()] : [:])
    }

    func child(_ values: [String]) -> Child {
        precondition(
            values.count == labelNames.count,
            "expected \(labelNames.count) label values \(labelNames), got \(values.count)")
        return table.withLock { table in
            if let existing = table[values] { return existing }
            let child = make()
            table[values] = child
            return child
        }
    }

    /// The children ordered by label values, for a deterministic exposition.
    func sorted() -> [(values: [String], child: Child)] {
        let entries = table.withLock { table in table.map { (values: $0.key, child: $0.value) } }
        return entries.sorted { a, b in
            a.values.lexicographicallyPrecedes(b.values) { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
    }
}

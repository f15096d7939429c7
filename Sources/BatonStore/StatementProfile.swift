import CSQLite
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What one SQL text cost the connection that ran it, summed over every run.
public struct StatementTiming: Sendable, Hashable {
    public var sql: String
    public var runs: Int = 0
    public var nanoseconds: Int = 0
    /// Rows the statement returned.
    public var rowsReturned: Int = 0
    /// Rows inserted, updated or deleted, those of triggers included.
    public var rowsChanged: Int = 0
    /// Rows stepped over in full table scans (`SQLITE_STMTSTATUS_FULLSCAN_STEP`): a statement with
    /// no usable index shows here long before it shows in time.
    public var fullScanSteps: Int = 0
    /// Virtual machine steps, a measure of the work done whatever the plan.
    public var vmSteps: Int = 0

    public init(sql: String) { self.sql = sql }
}

/// Per-statement timing of one connection (the writer's), aggregated by SQL text, with the time
/// the writer spent in its batches: a diagnostic switched on by
/// `DatabaseConfiguration.profileWriter` (SPEC §1.3). Off, no statement looks at a clock.
public final class StatementProfile: Sendable {
    private let timings = Mutex<[String: StatementTiming]>([:])
    private let batches = Mutex(BatchTotals())
    private let waits = Mutex(WaitTotals())
    private let started: Int

    struct BatchTotals {
        var count = 0
        var writes = 0
        var nanoseconds = 0
    }

    /// How long writes waited in the queue before their batch began: the share of a
    /// request's time that is the single writer's backlog rather than its work.
    struct WaitTotals {
        var count = 0
        var nanoseconds = 0
        var longest = 0
        /// Waits by power of two of their microseconds (bucket k: below 2^k µs), for a p99.
        var buckets = [Int](repeating: 0, count: 32)
    }

    public init() { started = Self.now() }

    static func now() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }

    func record(
        _ sql: String, nanoseconds: Int, rowsReturned: Int, rowsChanged: Int, fullScanSteps: Int, vmSteps: Int
    ) {
        timings.withLock { all in
            all[sql, default: StatementTiming(sql: sql)].add(
                nanoseconds: nanoseconds, rowsReturned: rowsReturned, rowsChanged: rowsChanged,
                fullScanSteps: fullScanSteps, vmSteps: vmSteps)
        }
    }

    func recordBatch(writes: Int, nanoseconds: Int) {
        batches.withLock {
            $0.count += 1
            $0.writes += writes
            $0.nanoseconds += nanoseconds
        }
    }

    func recordWaits<S: Sequence<Int>>(_ nanoseconds: S) {
        waits.withLock { totals in
            for wait in nanoseconds {
                let wait = max(0, wait)
                totals.count += 1
                totals.nanoseconds += wait
                totals.longest = max(totals.longest, wait)
                let micros = wait / 1000
                let bucket = micros == 0 ? 0 : min(31, Int.bitWidth - micros.leadingZeroBitCount)
                totals.buckets[bucket] += 1
            }
        }
    }

    /// Queue waits of the writes so far: how many, their mean, the power-of-two bound
    /// below which 99 % of them fell, and the longest, in microseconds.
    public var queueWaits: (count: Int, meanMicros: Int, p99BelowMicros: Int, longestMicros: Int) {
        let totals = waits.withLock { $0 }
        guard totals.count > 0 else { return (0, 0, 0, 0) }
        var seen = 0
        var bound = 1
        for (k, n) in totals.buckets.enumerated() {
            seen += n
            if seen * 100 >= totals.count * 99 {
                bound = 1 << k
                break
            }
        }
        return (totals.count, totals.nanoseconds / totals.count / 1000, bound, totals.longest / 1000)
    }

    /// Every statement seen so far, the costliest (total time) first.
    public var statements: [StatementTiming] {
        timings.withLock { Array($0.values) }.sorted { ($0.nanoseconds, $1.sql) > ($1.nanoseconds, $0.sql) }
    }

    /// Nanoseconds spent inside write batches (BEGIN to COMMIT), and since the profile started.
    public var busy: (batches: Int, writes: Int, nanoseconds: Int, elapsed: Int) {
        let totals = batches.withLock { $0 }
        return (totals.count, totals.writes, totals.nanoseconds, Self.now() - started)
    }

    /// The costliest `limit` statements as text, one a line, after a line on the writer's busy share.
    public func report(limit: Int = 30) -> String {
        let busy = busy
        let waits = queueWaits
        let permille = busy.elapsed > 0 ? busy.nanoseconds * 1000 / busy.elapsed : 0
        var lines = [
            "writer profile: busy \(busy.nanoseconds / 1_000_000) ms of \(busy.elapsed / 1_000_000) ms "
                + "(\(permille / 10).\(permille % 10) %), "
                + "\(busy.batches) batches, \(busy.writes) writes",
            "writer queue: \(waits.count) writes waited \(waits.meanMicros) µs on average before their batch "
                + "began, 99 % under \(waits.p99BelowMicros) µs, the longest \(waits.longestMicros) µs",
            "total_ms\truns\tus_per_run\trows_returned\trows_changed\tfullscan_steps\tvm_steps\tsql",
        ]
        for timing in statements.prefix(max(0, limit)) {
            let sql = timing.sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            lines.append(
                "\(timing.nanoseconds / 1_000_000)\t\(timing.runs)\t"
                    + "\(timing.runs > 0 ? timing.nanoseconds / timing.runs / 1000 : 0)\t"
                    + "\(timing.rowsReturned)\t\(timing.rowsChanged)\t\(timing.fullScanSteps)\t\(timing.vmSteps)\t\(sql)"
            )
        }
        return lines.joined(separator: "\n")
    }
}

extension StatementTiming {
    mutating func add(nanoseconds: Int, rowsReturned: Int, rowsChanged: Int, fullScanSteps: Int, vmSteps: Int) {
        runs += 1
        self.nanoseconds += nanoseconds
        self.rowsReturned += rowsReturned
        self.rowsChanged += rowsChanged
        self.fullScanSteps += fullScanSteps
        self.vmSteps += vmSteps
    }
}

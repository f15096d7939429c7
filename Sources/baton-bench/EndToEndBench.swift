import BatonJSON
import BatonPlatform
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// create → lease → complete over HTTP: creators post jobs while simulated workers long-poll,
/// lease and complete them. Prints completed jobs per second of wall time. Every creator and
/// worker is a thread with its own keep-alive connection (`BlockingClient`), so the load tool
/// spends little of the two cores it shares with the server.
enum EndToEndBench {
    final class Counters: Sendable {
        let completed = Atomic<Int>(0)
        let created = Atomic<Int>(0)
        let errors = Atomic<Int>(0)
        let running = Atomic<Int>(0)
        let failure = Mutex<String?>(nil)
        /// Round trips in microseconds by call: create, a lease that brought a job, complete.
        let trips = Mutex<[String: [Int]]>([:])
        func record(_ kind: String, _ samples: [Int]) { trips.withLock { $0[kind, default: []] += samples } }
    }

    static func run(url: String, key: String, workers: Int, jobs: Int, creators: Int) throws {
        let names = (0..<workers).map { "bench-w\($0)" }
        @Sendable func heartbeat(_ client: BlockingClient, _ name: String) throws {
            let (status, _) = try client.call(
                "PUT", "/presence", #"{"instance":"\#(name)","status":"idle","provider":"bench","capacity":4}"#)
            guard status == 200 else { throw BenchFailure("presence answered \(status)") }
        }
        let setup = try BlockingClient(url: url, key: key)
        for name in names { try heartbeat(setup, name) }
        let counters = Counters()
        let done = ConditionLock()
        let clock = ContinuousClock()
        let started = clock.now

        func spawn(_ name: String, _ body: @escaping @Sendable (BlockingClient) throws -> Void) throws {
            let client = try BlockingClient(url: url, key: key)
            counters.running.add(1, ordering: .relaxed)
            nonisolated(unsafe) let owned = client
            OSThread.detach(name: name) {
                do { try body(owned) } catch { counters.failure.withLock { $0 = $0 ?? "\(error)" } }
                done.withLock {
                    counters.running.subtract(1, ordering: .relaxed)
                    done.broadcast()
                }
            }
        }
        @Sendable func finished() -> Bool {
            counters.completed.load(ordering: .relaxed) >= jobs || counters.failure.withLock { $0 } != nil
        }

        // Heartbeats keep the fleet online for the whole run.
        try spawn("bench-beat") { client in
            while !finished() {
                for _ in 0..<40 where !finished() { usleep(100_000) }
                for name in names where !finished() { try heartbeat(client, name) }
            }
        }
        for name in names {
            try spawn("bench-worker") { client in
                var leases: [Int] = []
                var completes: [Int] = []
                defer {
                    counters.record("lease", leases)
                    counters.record("complete", completes)
                }
                while !finished() {
                    let leaseStart = clock.now
                    let (status, body) = try client.call("POST", "/api/workers/\(name)/lease?wait_s=1")
                    guard status == 200, let lease = try? JSONParser.parse(body),
                        let id = lease["job"]?["id"]?.intValue, let token = lease["lease"]?["token"]?.stringValue
                    else { continue }
                    leases.append(micros(clock.now - leaseStart))
                    let completeStart = clock.now
                    let (done, _) = try client.call(
                        "POST", "/api/jobs/\(id)/complete",
                        #"{"token":"\#(token)","result":"ok","tokens":{"input":100,"output":10}}"#)
                    completes.append(micros(clock.now - completeStart))
                    if done == 200 {
                        counters.completed.add(1, ordering: .relaxed)
                    } else {
                        counters.errors.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        for c in 0..<creators {
            try spawn("bench-creator") { client in
                var i = c
                var creates: [Int] = []
                defer { counters.record("create", creates) }
                while i < jobs && counters.failure.withLock({ $0 }) == nil {
                    let createStart = clock.now
                    let (status, _) = try client.call(
                        "POST", "/api/jobs", #"{"prompt":"bench job \#(i)","provider":"bench"}"#)
                    creates.append(micros(clock.now - createStart))
                    if status == 201 {
                        counters.created.add(1, ordering: .relaxed)
                    } else {
                        counters.errors.add(1, ordering: .relaxed)
                    }
                    i += creators
                }
            }
        }
        done.withLock { while counters.running.load(ordering: .relaxed) > 0 { done.wait() } }
        if let failure = counters.failure.withLock({ $0 }) { throw BenchFailure("e2e: \(failure)") }
        let trips = counters.trips.withLock { $0 }
        let elapsed = seconds(clock.now - started)
        let completed = counters.completed.load(ordering: .relaxed)
        print(
            "e2e: \(workers) workers, \(creators) creators, \(completed) jobs created, leased and completed in \(String(format2(elapsed))) s = \(Int(Double(completed) / elapsed)) jobs/s (errors: \(counters.errors.load(ordering: .relaxed)))"
        )
        // Where a job's time goes from the client's side: a slow server shows in every trip, a
        // starved load tool in none of them.
        for kind in ["create", "lease", "complete"] {
            let sorted = (trips[kind] ?? []).sorted()
            guard !sorted.isEmpty else { continue }
            let mean = sorted.reduce(0, +) / sorted.count
            print(
                "e2e: \(kind) round trip (µs): mean \(mean), p50 \(sorted[sorted.count / 2]), p99 \(sorted[sorted.count * 99 / 100]) over \(sorted.count)"
            )
        }
    }

    static func micros(_ d: Duration) -> Int {
        Int(d.components.seconds) * 1_000_000 + Int(d.components.attoseconds / 1_000_000_000_000)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func format2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

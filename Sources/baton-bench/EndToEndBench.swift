import BatonHTTP
import BatonJSON
import Synchronization

/// create → lease → complete over HTTP: creators post jobs while simulated workers long-poll,
/// lease and complete them. Prints completed jobs per second of wall time.
enum EndToEndBench {
    final class Counters: Sendable {
        let completed = Atomic<Int>(0)
        let created = Atomic<Int>(0)
        let errors = Atomic<Int>(0)
    }

    static func run(url: String, key: String, workers: Int, jobs: Int, creators: Int) async throws {
        let client = HTTPClient()
        let api = LoadClient(base: url, key: key, client: client)
        let names = (0..<workers).map { "bench-w\($0)" }
        func heartbeat(_ name: String) async throws {
            let (status, _) = try await api.call(
                .put, "/presence", #"{"instance":"\#(name)","status":"idle","provider":"bench","capacity":4}"#)
            guard status == 200 else { throw BenchFailure("presence answered \(status)") }
        }
        for name in names { try await heartbeat(name) }
        let counters = Counters()
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Heartbeats keep the fleet online for the whole run.
                while counters.completed.load(ordering: .relaxed) < jobs {
                    try await Task.sleep(for: .seconds(4))
                    for name in names { try await heartbeat(name) }
                }
            }
            for name in names {
                group.addTask {
                    while counters.completed.load(ordering: .relaxed) < jobs {
                        let (status, body) = try await api.call(.post, "/api/workers/\(name)/lease?wait_s=1")
                        guard status == 200, let id = body["job"]?["id"]?.intValue,
                            let token = body["lease"]?["token"]?.stringValue
                        else { continue }
                        let done = try await api.call(
                            .post, "/api/jobs/\(id)/complete",
                            #"{"token":"\#(token)","result":"ok","tokens":{"input":100,"output":10}}"#)
                        if done.status == 200 {
                            counters.completed.add(1, ordering: .relaxed)
                        } else {
                            counters.errors.add(1, ordering: .relaxed)
                        }
                    }
                }
            }
            for c in 0..<creators {
                group.addTask {
                    var i = c
                    while i < jobs {
                        let (status, _) = try await api.call(
                            .post, "/api/jobs", #"{"prompt":"bench job \#(i)","provider":"bench"}"#)
                        if status == 201 {
                            counters.created.add(1, ordering: .relaxed)
                        } else {
                            counters.errors.add(1, ordering: .relaxed)
                        }
                        i += creators
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = seconds(clock.now - started)
        let done = counters.completed.load(ordering: .relaxed)
        print(
            "e2e: \(workers) workers, \(done) jobs created, leased and completed in \(String(format2(elapsed))) s = \(Int(Double(done) / elapsed)) jobs/s (errors: \(counters.errors.load(ordering: .relaxed)))"
        )
        client.shutdown()
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func format2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

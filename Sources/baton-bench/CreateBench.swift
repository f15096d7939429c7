import BatonHTTP
import BatonJSON
import BatonPlatform
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Sustained `POST /api/jobs`, and the crash check: every job whose POST got a 2xx must be
/// readable after the server is killed with SIGKILL and restarted.
enum CreateBench {
    final class Tally: Sendable {
        let attempted = Atomic<Int>(0)
        let acknowledged = Mutex<[Int64]>([])
        let failures = Atomic<Int>(0)
    }

    final class VerifyTally: Sendable {
        let found = Atomic<Int>(0)
        let missing = Mutex<[Int64]>([])
    }

    static func run(url: String, key: String, connections: Int, seconds duration: Int, ackFile: String?) async throws {
        let client = HTTPClient()
        let api = LoadClient(base: url, key: key, client: client)
        let tally = Tally()
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(duration)
        let started = clock.now
        await withTaskGroup(of: Void.self) { group in
            for c in 0..<connections {
                group.addTask {
                    var n = 0
                    var consecutiveFailures = 0
                    while clock.now < deadline && consecutiveFailures < 20 {
                        tally.attempted.add(1, ordering: .relaxed)
                        do {
                            let (status, body) = try await api.call(
                                .post, "/api/jobs", #"{"prompt":"load \#(c)-\#(n)","provider":"bench"}"#,
                                timeout: .seconds(5))
                            if (200..<300).contains(status), let id = body["id"]?.intValue {
                                tally.acknowledged.withLock { $0.append(id) }
                                consecutiveFailures = 0
                            } else {
                                tally.failures.add(1, ordering: .relaxed)
                            }
                        } catch {
                            // The server is gone (the crash test): stop once it stays gone.
                            tally.failures.add(1, ordering: .relaxed)
                            consecutiveFailures += 1
                            try? await Task.sleep(for: .milliseconds(50))
                        }
                        n += 1
                    }
                }
            }
        }
        let elapsed = seconds(clock.now - started)
        let acked = tally.acknowledged.withLock { $0 }
        if let ackFile {
            let text = acked.map(String.init).joined(separator: "\n") + "\n"
            guard let file = fopen(ackFile, "w") else { throw BenchFailure("cannot write \(ackFile)") }
            fputs(text, file)
            fclose(file)
        }
        print(
            "create: \(connections) connections, \(tally.attempted.load(ordering: .relaxed)) attempted, \(acked.count) acknowledged in \(format2(elapsed)) s = \(Int(Double(acked.count) / elapsed)) jobs/s (failed: \(tally.failures.load(ordering: .relaxed)))"
        )
        client.shutdown()
    }

    static func verify(url: String, key: String, ackFile: String) async throws {
        guard let file = fopen(ackFile, "r") else { throw BenchFailure("cannot read \(ackFile)") }
        var ids: [Int64] = []
        var line = [CChar](repeating: 0, count: 64)
        while fgets(&line, 64, file) != nil {
            let bytes = line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace
            if let id = Int64(text) { ids.append(id) }
        }
        fclose(file)
        let client = HTTPClient()
        let api = LoadClient(base: url, key: key, client: client)
        let tally = VerifyTally()
        let chunks = stride(from: 0, to: ids.count, by: max(1, ids.count / 32 + 1)).map {
            Array(ids[$0..<min(ids.count, $0 + ids.count / 32 + 1)])
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in chunks {
                group.addTask {
                    for id in chunk {
                        let (status, _) = try await api.call(.get, "/api/jobs/\(id)")
                        if status == 200 {
                            tally.found.add(1, ordering: .relaxed)
                        } else {
                            tally.missing.withLock { $0.append(id) }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let lost = tally.missing.withLock { $0 }
        print(
            "verify: acknowledged \(ids.count), found \(tally.found.load(ordering: .relaxed)), missing \(lost.count)\(lost.isEmpty ? "" : " (first: \(lost.sorted().prefix(10)))")"
        )
        client.shutdown()
        if !lost.isEmpty { exit(1) }
    }
}

import BatonCore
import BatonCrypto
import BatonIssues
import BatonJSON
import BatonPlatform
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Signed Linear deliveries against a running `baton serve`: ingestion throughput on many
/// connections, and the latency from sending a delivery to its attempt's job being assigned.
enum WebhookBench {
    static func delivery(_ identifier: String, secret: String, state: String = "Todo", action: String = "create")
        -> (body: String, headers: [(String, String)])
    {
        let issue = TrackedIssue(identifier: identifier, title: "Benchmark \(identifier)", state: state, priority: 3)
        let body = LinearWebhook.issuePayload(issue, action: action, timestampMs: Timestamp.nowMilliseconds()).text
        return (
            body,
            [
                ("Linear-Signature", LinearWebhook.sign(Array(body.utf8), secret: secret)),
                ("Linear-Delivery", Hex.encode(SecureRandom.bytes(12))),
            ]
        )
    }

    /// `deliveries` posts spread over `connections` threads; prints deliveries/s.
    static func ingest(url: String, key: String, secret: String, deliveries: Int, connections: Int, prefix: String)
        throws
    {
        let failures = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let started = ContinuousClock.now
        let finished = ConditionLock()
        for c in 0..<connections {
            OSThread.detach(name: "bench-webhook-\(c)") {
                defer {
                    finished.withLock {
                        done.add(1, ordering: .relaxed)
                        finished.broadcast()
                    }
                }
                // As Linear sends them: signed, no key (a keyed request would also be audited).
                guard let client = try? BlockingClient(url: url, key: nil) else { return }
                for n in stride(from: c, to: deliveries, by: connections) {
                    let (body, headers) = delivery("\(prefix)-\(n + 1)", secret: secret)
                    let status = (try? client.call("POST", "/webhooks/linear", body, headers: headers))?.status ?? 0
                    if status != 200 { failures.add(1, ordering: .relaxed) }
                }
            }
        }
        finished.withLock { while done.load(ordering: .relaxed) < connections { finished.wait() } }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "webhook ingest: \(deliveries) signed deliveries on \(connections) connections in \(RouterBench.fmt(seconds)) s: \(Int(Double(deliveries) / seconds)) deliveries/s, \(failures.load(ordering: .relaxed)) not 200"
        )
    }

    /// One delivery at a time: the time from sending it to its job's `assigned_at`.
    static func latency(url: String, key: String, secret: String, count: Int, prefix: String) throws {
        let client = try BlockingClient(url: url, key: key)
        let linear = try BlockingClient(url: url, key: nil)  // deliveries carry no key, as Linear's
        var times: [Double] = []
        for n in 1...count {
            let identifier = "\(prefix)-\(n)"
            let (body, headers) = delivery(identifier, secret: secret)
            var sentMicros = timeval()
            gettimeofday(&sentMicros, nil)
            guard try linear.call("POST", "/webhooks/linear", body, headers: headers).status == 200 else {
                throw BenchFailure("bench: the delivery for \(identifier) was refused")
            }
            var assigned: Int64?
            for _ in 0..<2000 where assigned == nil {
                let issue = try JSONParser.parse(try client.call("GET", "/api/v1/\(identifier)").body)
                if let job = issue["attempts"]?.arrayValue?.first?["job"]?.intValue {
                    let detail = try JSONParser.parse(try client.call("GET", "/api/jobs/\(job)").body)
                    if let at = detail["assigned_at"]?.stringValue { assigned = Timestamp.parse(at) }
                }
                if assigned == nil { usleep(500) }
            }
            guard let assigned else { throw BenchFailure("bench: \(identifier) was never assigned") }
            let sentMs = Double(sentMicros.tv_sec) * 1000 + Double(sentMicros.tv_usec) / 1000
            times.append(max(0, Double(assigned) - sentMs))
            usleep(20_000)
        }
        times.sort()
        func at(_ q: Double) -> Double { times[min(times.count - 1, Int(Double(times.count) * q))] }
        print(
            "webhook -> job assigned: \(count) deliveries one at a time: median \(RouterBench.fmt(at(0.5))) ms, p99 \(RouterBench.fmt(at(0.99))) ms, max \(RouterBench.fmt(times.last ?? 0)) ms (server timestamps have 1 ms resolution)"
        )
    }
}

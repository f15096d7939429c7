import BatonCore
import BatonJSON
import BatonPlatform
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A bounded mixed load against a running `baton serve`, watched from outside: job creates,
/// signed Linear webhooks, readers (one job, the job list) at fixed rates, an SSE client that
/// checks event ids for gaps, and a `/health` probe. Every interval it prints the server's RSS,
/// open fds, database and WAL size, workspace count, `/health` p99 and SSE gaps; after the load
/// it keeps watching for a cool-down, then prints growth per hour and error counts.
enum SoakBench {
    struct Options {
        var url: String
        var key: String
        var secret: String
        var pid: Int32
        var dataDir: String
        var workspaces: String
        var seconds: Int
        var jobsPerSecond: Double
        var webhooksPerSecond: Double
        var readsPerSecond: Double
        var interval: Int
        var warmup: Int
        var cooldown: Int
        var prefix: String
        /// Seconds after which an issue the load made is moved to Done (0: never), so it is worked,
        /// released and its workspace removed as a real backlog's issues are.
        var closeAfter: Int
    }

    /// What the load threads count; read and reset by the monitor.
    final class Tally: Sendable {
        let stop = Atomic<Bool>(false)
        let jobs = Atomic<Int>(0)
        let webhooks = Atomic<Int>(0)
        let reads = Atomic<Int>(0)
        /// Answers other than the expected 2xx, 5xx among them, and requests that got no answer.
        let errors = Atomic<Int>(0)
        let serverErrors = Atomic<Int>(0)
        let transport = Atomic<Int>(0)
        /// Load threads that fell more than a second behind their schedule and skipped ahead.
        let behind = Atomic<Int>(0)
        let firstError = Mutex<String?>(nil)
        let recentJobs = Mutex<[Int64]>([])
        let health = Mutex<[Double]>([])
        let sseEvents = Atomic<Int>(0)
        let sseLastID = Atomic<Int64>(0)
        let sseGaps = Atomic<Int>(0)
        let sseMissing = Atomic<Int64>(0)
        let sseOutOfOrder = Atomic<Int>(0)
        let sseReconnects = Atomic<Int>(0)

        func failed(_ what: String, status: Int) {
            errors.add(1, ordering: .relaxed)
            if status >= 500 { serverErrors.add(1, ordering: .relaxed) }
            firstError.withLock { $0 = $0 ?? "\(what) answered \(status)" }
        }

        func lost(_ what: String, _ error: any Error) {
            transport.add(1, ordering: .relaxed)
            firstError.withLock { $0 = $0 ?? "\(what): \(error)" }
        }
    }

    struct Sample {
        var t: Double
        var rssKiB: Int
        var fds: Int
        var dbBytes: Int64
        var walBytes: Int64
        var workspaces: Int
    }

    static func run(_ o: Options) throws {
        let tally = Tally()
        // Before the load: the idle figure the server should come back to.
        let idle = sample(o, at: 0)
        let started = now()
        let loadEnd = started + Double(o.seconds)
        var threads = 0
        let finished = ConditionLock()
        let running = Atomic<Int>(0)
        func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
            running.add(1, ordering: .relaxed)
            threads += 1
            OSThread.detach(name: name) {
                body()
                finished.withLock {
                    running.subtract(1, ordering: .relaxed)
                    finished.broadcast()
                }
            }
        }
        let url = o.url
        let key = o.key
        let secret = o.secret
        let prefix = o.prefix

        // Job creates: dry-run jobs, which the embedded workers run in a workspace each.
        let creators = max(1, Int((o.jobsPerSecond / 25).rounded(.up)))
        for c in 0..<creators where o.jobsPerSecond > 0 {
            spawn("soak-create") {
                paced(o.jobsPerSecond / Double(creators), until: loadEnd, tally: tally) { n in
                    let client = try BlockingClient(url: url, key: key)
                    return {
                        let (status, body) = try client.call(
                            "POST", "/api/jobs", #"{"prompt":"soak \#(c)-\#(n)","provider":"dry-run"}"#)
                        guard status == 201, let id = (try? JSONParser.parse(body))?["id"]?.intValue else {
                            return tally.failed("POST /api/jobs", status: status)
                        }
                        tally.jobs.add(1, ordering: .relaxed)
                        tally.recentJobs.withLock {
                            $0.append(id)
                            if $0.count > 4096 { $0.removeFirst(2048) }
                        }
                    }
                }
            }
        }
        // Signed Linear Issue deliveries: a new issue in Todo (an attempt starts), and, once an
        // issue is closeAfter seconds old, its move to Done (released, its workspace removed),
        // whichever is due; so with closing on, half the deliveries are new issues.
        let senders = max(1, Int((o.webhooksPerSecond / 25).rounded(.up)))
        let closeAfter = Double(o.closeAfter)
        for s in 0..<senders where o.webhooksPerSecond > 0 {
            spawn("soak-webhook") {
                paced(o.webhooksPerSecond / Double(senders), until: loadEnd, tally: tally) { _ in
                    let client = try BlockingClient(url: url, key: nil)  // signed, no key: as Linear's
                    var n = 0
                    var open: [(identifier: String, at: Double)] = []
                    var next = 0
                    return {
                        let delivery: (body: String, headers: [(String, String)])
                        if closeAfter > 0, next < open.count, now() - open[next].at >= closeAfter {
                            delivery = WebhookBench.delivery(
                                open[next].identifier, secret: secret, state: "Done", action: "update")
                            next += 1
                            if next > 4096 {
                                open.removeFirst(next)
                                next = 0
                            }
                        } else {
                            n += 1
                            let identifier = "\(prefix)-\(s * 100_000_000 + n)"
                            delivery = WebhookBench.delivery(identifier, secret: secret)
                            if closeAfter > 0 { open.append((identifier, now())) }
                        }
                        let (body, headers) = delivery
                        let (status, _) = try client.call("POST", "/webhooks/linear", body, headers: headers)
                        guard status == 200 else { return tally.failed("POST /webhooks/linear", status: status) }
                        tally.webhooks.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        // Readers: one recent job, or the newest page of the list, in turn.
        let readers = max(1, Int((o.readsPerSecond / 50).rounded(.up)))
        for _ in 0..<readers where o.readsPerSecond > 0 {
            spawn("soak-read") {
                paced(o.readsPerSecond / Double(readers), until: loadEnd, tally: tally) { _ in
                    let client = try BlockingClient(url: url, key: key)
                    var n = 0
                    return {
                        n += 1
                        let id = tally.recentJobs.withLock { $0.isEmpty ? nil : $0[n % $0.count] }
                        let path = n % 2 == 0 || id == nil ? "/api/jobs?limit=50" : "/api/jobs/\(id!)"
                        let (status, _) = try client.call("GET", path)
                        guard status == 200 else { return tally.failed("GET \(path)", status: status) }
                        tally.reads.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        // /health latency, 20 a second, until the cool-down ends too.
        let watchEnd = loadEnd + Double(o.cooldown)
        spawn("soak-health") {
            paced(20, until: watchEnd, tally: tally) { _ in
                let client = try BlockingClient(url: url, key: key)
                return {
                    let sent = now()
                    let (status, _) = try client.call("GET", "/health")
                    let elapsed = (now() - sent) * 1000
                    guard status == 200 else { return tally.failed("GET /health", status: status) }
                    tally.health.withLock { $0.append(elapsed) }
                }
            }
        }
        spawn("soak-sse") { follow(url: url, key: key, until: watchEnd, tally: tally) }

        print(
            "soak: \(o.seconds) s of load (\(o.jobsPerSecond) job creates/s on \(creators), \(o.webhooksPerSecond) webhooks/s on \(senders), \(o.readsPerSecond) reads/s on \(readers) connections), then \(o.cooldown) s idle; a line every \(o.interval) s"
        )
        print(
            "     t  phase  RSS MiB  fds   DB MiB  WAL MiB  workspaces  jobs/s  hooks/s  reads/s  health p99 ms  pending  SSE last id  gaps  errors  5xx"
        )
        var samples: [Sample] = [idle]
        print(
            pad(0, 6) + pad("idle", 7) + pad(mib(Int64(samples[0].rssKiB) * 1024), 9) + pad(samples[0].fds, 5)
                + pad(mib(samples[0].dbBytes), 9) + pad(mib(samples[0].walBytes), 9) + pad(samples[0].workspaces, 12))
        var loadEndSample: Sample?
        var next = started + Double(o.interval)
        var previous = (t: started, jobs: 0, webhooks: 0, reads: 0)
        while true {
            let wake = min(next, watchEnd)
            let wait = wake - now()
            if wait > 0 { usleep(UInt32(min(wait, 3600) * 1_000_000)) }
            let t = now()
            if t >= loadEnd && loadEndSample == nil && t < next - 0.5 {
                // The load just stopped: note the figures it ended with.
                loadEndSample = sample(o, at: t - started)
                continue
            }
            let s = sample(o, at: t - started)
            samples.append(s)
            if loadEndSample == nil && t >= loadEnd { loadEndSample = s }
            let jobs = tally.jobs.load(ordering: .relaxed)
            let webhooks = tally.webhooks.load(ordering: .relaxed)
            let reads = tally.reads.load(ordering: .relaxed)
            let span = max(0.001, t - previous.t)
            let latencies = tally.health.withLock { values -> [Double] in
                defer { values.removeAll(keepingCapacity: true) }
                return values.sorted()
            }
            let p99 = latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))]
            let pending = pendingJobs(url: url, key: key)
            print(
                pad(Int(s.t), 6) + pad(t > loadEnd + 0.5 ? "idle" : "load", 7) + pad(mib(Int64(s.rssKiB) * 1024), 9)
                    + pad(s.fds, 5) + pad(mib(s.dbBytes), 9) + pad(mib(s.walBytes), 9) + pad(s.workspaces, 12)
                    + pad(Int(Double(jobs - previous.jobs) / span), 8)
                    + pad(Int(Double(webhooks - previous.webhooks) / span), 9)
                    + pad(Int(Double(reads - previous.reads) / span), 9) + pad(fixed(p99, 2), 15)
                    + pad(pending.map(String.init) ?? "?", 9) + pad(Int(tally.sseLastID.load(ordering: .relaxed)), 13)
                    + pad(tally.sseGaps.load(ordering: .relaxed), 6) + pad(tally.errors.load(ordering: .relaxed), 8)
                    + pad(tally.serverErrors.load(ordering: .relaxed), 5))
            fflush(nil)
            previous = (t, jobs, webhooks, reads)
            if t >= watchEnd - 0.5 { break }
            next += Double(o.interval)
        }
        tally.stop.store(true, ordering: .relaxed)
        finished.withLock { while running.load(ordering: .relaxed) > 0 { finished.wait() } }

        summarise(o, samples: samples, loadEnd: loadEndSample ?? samples.last, tally: tally)
    }

    // MARK: Load

    /// Calls what `make` returns `rate` times a second until `end`, on a schedule rather than as
    /// fast as answers come, so a slow server shows as latency and backlog, not as a lower rate.
    /// Falling more than a second behind skips ahead (counted) instead of bursting.
    static func paced(
        _ rate: Double, until end: Double, tally: Tally, _ make: (Int) throws -> () throws -> Void
    ) {
        guard rate > 0 else { return }
        let call: () throws -> Void
        do { call = try make(0) } catch {
            tally.lost("connect", error)
            return
        }
        let period = 1 / rate
        var due = now()
        while !tally.stop.load(ordering: .relaxed) {
            let t = now()
            if t >= end { return }
            if due > t {
                usleep(UInt32((due - t) * 1_000_000))
                continue
            }
            if t - due > 1 {
                tally.behind.add(1, ordering: .relaxed)
                due = t
            }
            do { try call() } catch { tally.lost("request", error) }
            due += period
        }
    }

    /// Follows `/api/v1/events` on a raw socket, checking that ids rise by one; reconnects after
    /// `Last-Event-ID` when the stream ends (a slow subscriber is ended by the server).
    static func follow(url: String, key: String, until end: Double, tally: Tally) {
        guard let colon = url.lastIndex(of: ":"), let port = UInt16(url[url.index(after: colon)...]) else { return }
        while now() < end && !tally.stop.load(ordering: .relaxed) {
            let last = tally.sseLastID.load(ordering: .relaxed)
            do {
                try stream(port: port, key: key, after: last > 0 ? last : nil, until: end, tally: tally)
            } catch {
                if now() < end { tally.lost("SSE", error) }
            }
            if now() < end {
                tally.sseReconnects.add(1, ordering: .relaxed)
                usleep(200_000)
            }
        }
    }

    private static func stream(port: UInt16, key: String, after: Int64?, until end: Double, tally: Tally) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchFailure("socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw BenchFailure("connect: \(errno)") }
        var head = "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n"
        if let after { head += "Last-Event-ID: \(after)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw BenchFailure("send: \(errno)")
        }
        // Raw bytes, then the chunked body decoded into `text`, split into messages at blank lines.
        var raw: [UInt8] = []
        var headerDone = false
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while now() < end && !tally.stop.load(ordering: .relaxed) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard n > 0 else { return }
            raw.append(contentsOf: chunk[0..<n])
            if !headerDone {
                guard let at = find([13, 10, 13, 10], in: raw, from: 0) else { continue }
                let status = String(decoding: raw[0..<min(at, 12)], as: UTF8.self)
                guard status.hasSuffix("200") else { throw BenchFailure("SSE answered \(status)") }
                raw.removeFirst(at + 4)
                headerDone = true
            }
            // Chunks: hex size CRLF data CRLF.
            var offset = 0
            while let lineEnd = find([13, 10], in: raw, from: offset) {
                let sizeText = String(decoding: raw[offset..<lineEnd], as: UTF8.self)
                guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else {
                    throw BenchFailure("SSE: bad chunk size '\(sizeText.prefix(20))'")
                }
                if size == 0 { return }
                guard raw.count >= lineEnd + 2 + size + 2 else { break }
                text.append(contentsOf: raw[(lineEnd + 2)..<(lineEnd + 2 + size)])
                offset = lineEnd + 2 + size + 2
            }
            raw.removeFirst(offset)
            var start = 0
            while let blank = find([10, 10], in: text, from: start) {
                check(message: text[start..<blank], tally: tally)
                start = blank + 2
            }
            text.removeFirst(start)
        }
    }

    private static func check(message: ArraySlice<UInt8>, tally: Tally) {
        guard message.starts(with: Array("id: ".utf8)) else { return }  // comments
        let line = message.prefix { $0 != 10 }.dropFirst(4)
        guard let id = Int64(String(decoding: line, as: UTF8.self)) else { return }
        tally.sseEvents.add(1, ordering: .relaxed)
        let last = tally.sseLastID.load(ordering: .relaxed)
        if last > 0 && id != last + 1 {
            if id <= last {
                tally.sseOutOfOrder.add(1, ordering: .relaxed)
                return
            }
            tally.sseGaps.add(1, ordering: .relaxed)
            tally.sseMissing.add(id - last - 1, ordering: .relaxed)
        }
        tally.sseLastID.store(id, ordering: .relaxed)
    }

    // MARK: Watching the server

    static func sample(_ o: Options, at t: Double) -> Sample {
        Sample(
            t: t, rssKiB: rssKiB(o.pid), fds: count(entriesOf: "/proc/\(o.pid)/fd"),
            dbBytes: size(o.dataDir + "/baton.db"), walBytes: size(o.dataDir + "/baton.db-wal"),
            workspaces: count(entriesOf: o.workspaces))
    }

    static func rssKiB(_ pid: Int32) -> Int {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmRSS:") {
                return Int(text.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
            }
        }
        return 0
    }

    static func count(entriesOf path: String) -> Int {
        guard let dir = opendir(path) else { return 0 }
        defer { closedir(dir) }
        var n = 0
        while let entry = readdir(dir) {
            let name = DirectoryEntry.name(entry)
            if name != "." && name != ".." { n += 1 }
        }
        return n
    }

    static func size(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// `baton_jobs{status="pending"}` from /metrics: the backlog the workers have not taken.
    static func pendingJobs(url: String, key: String) -> Int? {
        guard let client = try? BlockingClient(url: url, key: key),
            let (status, body) = try? client.call("GET", "/metrics"), status == 200
        else { return nil }
        let text = String(decoding: body, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("baton_jobs{status=\"pending\"}") {
            return line.split(separator: " ").last.flatMap { Double($0) }.map { Int($0) }
        }
        return nil
    }

    // MARK: Summary

    static func summarise(_ o: Options, samples: [Sample], loadEnd: Sample?, tally: Tally) {
        guard let first = samples.first, let end = loadEnd, let last = samples.last else { return }
        // RSS growth from the first sample after the warm-up (or half the load, when shorter).
        let from = Double(min(o.warmup, o.seconds / 2))
        let base = samples.first { $0.t >= from } ?? first
        func perHour(_ a: Double, _ b: Double, _ span: Double) -> Double { span > 0 ? (b - a) / span * 3600 : 0 }
        let rssRate = perHour(Double(base.rssKiB) / 1024, Double(end.rssKiB) / 1024, end.t - base.t)
        // With the heap trimmed, RSS swings with each load peak: the least-squares slope over every
        // sample from the warm-up to the end of the load says more than its two ends.
        let window = samples.filter { $0.t >= base.t && $0.t <= end.t + 0.5 }
        let slope = leastSquaresSlope(window.map { ($0.t, Double($0.rssKiB) / 1024) }) * 3600
        let dbRate = perHour(
            Double(first.dbBytes + first.walBytes) / 1_048_576, Double(end.dbBytes + end.walBytes) / 1_048_576,
            end.t - first.t)
        let wsRate = perHour(Double(first.workspaces), Double(end.workspaces), end.t - first.t)
        let loadSeconds = Double(o.seconds)
        print("")
        print("== soak summary")
        print(
            "load:        \(tally.jobs.load(ordering: .relaxed)) jobs (\(fixed(Double(tally.jobs.load(ordering: .relaxed)) / loadSeconds, 1))/s), \(tally.webhooks.load(ordering: .relaxed)) webhooks (\(fixed(Double(tally.webhooks.load(ordering: .relaxed)) / loadSeconds, 1))/s), \(tally.reads.load(ordering: .relaxed)) reads in \(o.seconds) s; fell behind schedule \(tally.behind.load(ordering: .relaxed)) times"
        )
        print(
            "RSS:         \(mib(Int64(first.rssKiB) * 1024)) MiB at \(Int(first.t)) s, \(mib(Int64(base.rssKiB) * 1024)) MiB at \(Int(base.t)) s, \(mib(Int64(end.rssKiB) * 1024)) MiB at the end of the load (\(Int(end.t)) s), \(mib(Int64(last.rssKiB) * 1024)) MiB after \(Int(last.t - end.t)) s idle"
        )
        print(
            "RSS growth:  \(fixed(slope, 1)) MiB/h (least squares over the \(window.count) samples from \(Int(base.t)) s to the end of the load; its two ends alone: \(fixed(rssRate, 1)) MiB/h)"
        )
        print(
            "DB + WAL:    \(mib(first.dbBytes + first.walBytes)) -> \(mib(end.dbBytes + end.walBytes)) MiB, \(fixed(dbRate, 1)) MiB/h"
        )
        print("workspaces:  \(first.workspaces) -> \(end.workspaces), \(Int(wsRate))/h")
        print("fds:         \(first.fds) -> \(end.fds) (\(last.fds) idle)")
        print(
            "SSE:         \(tally.sseEvents.load(ordering: .relaxed)) events, last id \(tally.sseLastID.load(ordering: .relaxed)), \(tally.sseGaps.load(ordering: .relaxed)) gaps (\(tally.sseMissing.load(ordering: .relaxed)) ids missing), \(tally.sseOutOfOrder.load(ordering: .relaxed)) out of order, \(tally.sseReconnects.load(ordering: .relaxed)) reconnects"
        )
        print(
            "errors:      \(tally.errors.load(ordering: .relaxed)) unexpected answers, \(tally.serverErrors.load(ordering: .relaxed)) of them 5xx; \(tally.transport.load(ordering: .relaxed)) requests without an answer\(tally.firstError.withLock { $0 }.map { " (first: \($0))" } ?? "")"
        )
    }

    // MARK: Helpers

    /// Slope of the least-squares line through `points` (0 for fewer than two).
    static func leastSquaresSlope(_ points: [(x: Double, y: Double)]) -> Double {
        guard points.count >= 2 else { return 0 }
        let n = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.x } / n
        let meanY = points.reduce(0) { $0 + $1.y } / n
        let covariance = points.reduce(0) { $0 + ($1.x - meanX) * ($1.y - meanY) }
        let variance = points.reduce(0) { $0 + ($1.x - meanX) * ($1.x - meanX) }
        return variance > 0 ? covariance / variance : 0
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count + from else { return nil }
        var i = from
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    static func mib(_ bytes: Int64) -> String { fixed(Double(bytes) / 1_048_576, 1) }

    static func fixed(_ x: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((x * scale).rounded())
        let whole = scaled / Int64(scale)
        let fraction = abs(scaled % Int64(scale))
        guard places > 0 else { return String(whole) }
        let digits = String(fraction)
        let sign = scaled < 0 && whole == 0 ? "-" : ""
        return sign + String(whole) + "." + String(repeating: "0", count: places - digits.count) + digits
    }

    static func pad(_ value: some CustomStringConvertible, _ width: Int) -> String {
        let text = value.description
        return String(repeating: " ", count: max(1, width - text.count)) + text
    }
}

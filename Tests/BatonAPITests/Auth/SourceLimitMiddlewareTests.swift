import BatonCore
import BatonHTTP
import BatonJSON
import BatonStore
import BatonTestSupport
import Synchronization
import Testing

@testable import BatonAPI

#if canImport(Glibc)
    import Glibc
#endif

/// Unauthenticated and refused traffic is cheap (issue 17): a per-source limit in front of
/// authentication and audit, and audit entries for such requests without bodies, one per source
/// per interval, so a flood cannot grow the append-only table faster than a fixed rate.
@Suite struct AnonymousTrafficTests {
    static let json: HTTPHeaders = ["Content-Type": "application/json"]

    static func post(
        _ c: TestCoordinator, _ target: String, from address: String, key: String? = nil, body: String = "{}"
    ) async -> HTTPResponse {
        var headers = json
        if let key { headers.add("Authorization", "Bearer \(key)") }
        return await c.router.respond(
            to: HTTPRequest(
                method: .post, target: target, headers: headers, body: Array(body.utf8), remoteAddress: address))
    }

    /// Every audit entry, oldest first.
    static func auditRows(_ c: TestCoordinator) async throws -> [AuditEntry] {
        try await AuditLog(database: c.database, events: c.events).list(.init(), limit: 500, offset: 0).entries
            .reversed()
    }

    /// Rows in the audit table and the bytes their columns hold.
    static func auditSize(_ c: TestCoordinator) throws -> (rows: Int, bytes: Int) {
        try c.database.readBlocking { conn in
            let row = try conn.queryOne(
                """
                SELECT count(*) AS n, coalesce(sum(length(at) + length(coalesce(tenant, '')) + length(actor)
                    + length(coalesce(actor_name, '')) + length(action) + length(target)
                    + length(coalesce(request_id, '')) + length(coalesce(source, '')) + length(diff)
                    + length(prev_hash) + length(hash) + 16), 0) AS bytes FROM audit
                """)
            return (row?.int("n") ?? -1, row?.int("bytes") ?? -1)
        }
    }

    @Test func keylessRequestsBeyondTheSourceLimitAre429BeforeAuthentication() async throws {
        let c = try await TestCoordinator.make(rateLimiter: RateLimiter(limits: .init(perMinute: ["anonymous": 3])))
        defer { c.close() }
        let operatorKey = try c.makeKey(.operator)
        for _ in 0..<3 {
            #expect(await Self.post(c, "/api/jobs", from: "10.0.0.1:1000").status == .unauthorized)
        }
        let limited = await Self.post(c, "/api/jobs", from: "10.0.0.1:2000")
        #expect(limited.status == .tooManyRequests)
        // A token every 20 s (less whatever time the requests above took).
        #expect((1...20).contains(Int(limited.headers["Retry-After"] ?? "") ?? 0), "\(limited.headers)")
        #expect(limited.bodyText.contains(#""code":"rate_limited""#))
        // Made-up keys and unknown routes are keyless too; so is an IPv6 client's whole /64.
        let madeUp = "bt_abcdefgh_" + String(repeating: "x", count: 40)
        #expect(await Self.post(c, "/api/jobs", from: "10.0.0.1:3000", key: madeUp).status == .tooManyRequests)
        #expect(await Self.post(c, "/no/such/route", from: "10.0.0.1:3000").status == .tooManyRequests)
        // A valid key from the same address is not held back, nor are public routes or other sources.
        let created = await Self.post(c, "/api/jobs", from: "10.0.0.1:4000", key: operatorKey, body: #"{"prompt":"p"}"#)
        #expect(created.status == .created, "\(created.bodyText)")
        let health = await c.router.respond(
            to: HTTPRequest(method: .get, target: "/health", remoteAddress: "10.0.0.1:4000"))
        #expect(health.status == .ok)
        #expect(await Self.post(c, "/api/jobs", from: "10.0.0.2:1000").status == .unauthorized)
        #expect(c.metrics.exposition().contains(#"baton_rate_limited_total{class="anonymous"} 3"#))
        // 10.0.0.1's refusals: the first an entry at once, the other five counted; the operator's
        // job an entry of its own; 10.0.0.2 an entry at once.
        var rows = try await Self.auditRows(c)
        #expect(rows.map(\.actor).filter { $0 == "anonymous" }.count == 2)
        await c.refusedAudit.stop()
        rows = try await Self.auditRows(c)
        let fromFirst = rows.filter { $0.actor == "anonymous" && $0.source?.hasPrefix("10.0.0.1") == true }
        #expect(fromFirst.map(\.count) == [1, 5])
        let summary = try JSONParser.parse(fromFirst[1].diff)
        #expect(summary["statuses"] == ["401": 2, "429": 3])
        #expect(summary["actions"] == ["POST /api/jobs": 4, "POST <unmatched>": 1])
        #expect(fromFirst[1].action == AuditCoalescer.mixed && fromFirst[1].source == "10.0.0.1")
        #expect(try c.database.readBlocking { try $0.scalar("SELECT count(*) FROM jobs")?.intValue } == 1)
    }

    /// Anonymous and refused requests are audited by size and reason, never with their body; a
    /// key's own change keeps its redacted body (AuditRoutesTests).
    @Test func refusedEntriesKeepTheSizeAndReasonNotTheBody() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let viewer = try c.makeKey(.viewer)
        let body = #"{"prompt":"do not keep me","input":"\#(String(repeating: "z", count: 3000))"}"#
        #expect(await Self.post(c, "/api/jobs", from: "10.0.0.1:1", body: body).status == .unauthorized)
        #expect(await Self.post(c, "/api/jobs", from: "10.0.0.1:1", key: viewer, body: body).status == .forbidden)
        let rows = try await Self.auditRows(c)
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { !$0.diff.contains("do not keep me") })
        #expect(
            try JSONParser.parse(rows[0].diff) == [
                "body_bytes": .int(Int64(body.utf8.count)), "reason": "unauthorized",
            ])
        #expect(rows[0].actor == "anonymous" && rows[0].tenant == nil && rows[0].status == 401)
        #expect(
            try JSONParser.parse(rows[1].diff) == ["body_bytes": .int(Int64(body.utf8.count)), "reason": "forbidden"])
        #expect(rows[1].tenant == "default" && rows[1].status == 403 && rows[1].actor.hasPrefix("key:"))
        // A long path is cut, so a refused request's entry has a size bound too.
        let long = "/api/jobs/" + String(repeating: "a", count: 5000)
        _ = await Self.post(c, long, from: "10.9.9.9:1")
        let last = try #require(try await Self.auditRows(c).last)
        #expect(last.target.utf8.count <= AuditMiddleware.maxRefusedTargetBytes && last.target.hasSuffix("…"))
    }

    /// A key over its own limit is refused with 429; those refusals are coalesced per source and
    /// key like anonymous ones, in the key's tenant.
    @Test func aKeysOwn429sAreCoalescedInItsTenant() async throws {
        let c = try await TestCoordinator.make(rateLimiter: RateLimiter(limits: .init(perMinute: ["write": 1])))
        defer { c.close() }
        let key = try c.makeKey(.operator, tenant: "acme")
        #expect(
            await Self.post(c, "/api/jobs", from: "10.0.0.1:1", key: key, body: #"{"prompt":"p"}"#).status == .created)
        for _ in 0..<20 {
            #expect(await Self.post(c, "/api/jobs", from: "10.0.0.1:1", key: key).status == .tooManyRequests)
        }
        #expect(try await Self.auditRows(c).count == 2)
        await c.refusedAudit.stop()
        let rows = try await Self.auditRows(c)
        #expect(rows.map(\.count) == [1, 1, 19])
        #expect(rows.map(\.tenant) == ["acme", "acme", "acme"])
        #expect(rows[2].status == 429)
    }

    // MARK: The flood

    struct FloodResult: Sendable {
        var statuses: [Int: Int] = [:]
        var healthChecks = 0
        var healthFailures = 0
        var slowestHealth: Duration = .zero
        var elapsed: Duration = .zero
    }

    /// `total` keyless POSTs with a 2 KiB JSON body over `connections` keep-alive loopback
    /// connections, each a tight loop, while another connection asks `GET /health` every 10 ms.
    static func flood(port: Int, total: Int, connections: Int = 4) async throws -> FloodResult {
        let body = #"{"prompt":""# + String(repeating: "p", count: 2048) + #""}"#
        let request = Array(
            "POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                .utf8)
        let done = Atomic<Bool>(false)
        let start = ContinuousClock.now
        let prober = Task {
            try await offPool { () throws -> FloodResult in
                let connection = try HTTPLoop(port: port)
                var result = FloodResult()
                let get = Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
                while !done.load(ordering: .relaxed) {
                    let asked = ContinuousClock.now
                    let status = try connection.exchange(get)
                    result.slowestHealth = max(result.slowestHealth, ContinuousClock.now - asked)
                    result.healthChecks += 1
                    if status != 200 { result.healthFailures += 1 }
                    usleep(10_000)
                }
                return result
            }
        }
        let perConnection = total / connections
        var statuses: [Int: Int] = [:]
        do {
            try await withThrowingTaskGroup(of: [Int: Int].self) { group in
                for _ in 0..<connections {
                    group.addTask {
                        try await offPool {
                            let connection = try HTTPLoop(port: port)
                            var statuses: [Int: Int] = [:]
                            for _ in 0..<perConnection { statuses[try connection.exchange(request), default: 0] += 1 }
                            return statuses
                        }
                    }
                }
                for try await part in group { statuses.merge(part, uniquingKeysWith: +) }
            }
        } catch {
            done.store(true, ordering: .relaxed)
            _ = try? await prober.value
            throw error
        }
        let elapsed = ContinuousClock.now - start
        done.store(true, ordering: .relaxed)
        var result = try await prober.value
        result.statuses = statuses
        result.elapsed = elapsed
        return result
    }

    /// 10,000 keyless POSTs: the audit table stays within its bound (one entry at once, one
    /// counted entry when the interval ends or the server stops: every request accounted for, no
    /// body kept), `/health` answers throughout, and the chain verifies.
    @Test func aFloodOfKeylessRequestsLeavesTheAuditTableWithinItsBound() async throws {
        let limits = RateLimiter.Limits(perMinute: ["read": 1200, "write": 300, "webhook": 600, "anonymous": 60])
        let c = try await TestCoordinator.make(rateLimiter: RateLimiter(limits: limits))
        defer { c.close() }
        let (server, port) = try c.startServer()
        let result = try await Self.flood(port: port, total: 10_000)
        await server.shutdown()
        let during = try Self.auditSize(c)
        await c.refusedAudit.stop()
        let after = try Self.auditSize(c)
        #expect(result.statuses.values.reduce(0, +) == 10_000)
        #expect(Set(result.statuses.keys).isSubset(of: [401, 429]), "\(result.statuses)")
        // 60 a minute: the bucket's 60, and one more for each second the flood lasted.
        let admitted = 61 + Int(result.elapsed.components.seconds)
        #expect((result.statuses[401] ?? 0) <= admitted, "\(result.statuses) in \(result.elapsed)")
        // The bound: one entry at once and one per whole interval elapsed, plus the count written
        // at stop; each well under 2 KiB (no body, a summary of bounded size).
        let interval = c.refusedAudit.interval
        let bound = 2 + Int(Double(result.elapsed.components.seconds) / interval)
        #expect(during.rows <= bound - 1 && after.rows <= bound, "\(during) \(after) in \(result.elapsed)")
        #expect(after.bytes <= after.rows * 2048, "\(after)")
        let rows = try await Self.auditRows(c)
        #expect(rows.map(\.count).reduce(0, +) == 10_000)
        #expect(rows.allSatisfy { !$0.diff.contains("ppppp") })
        #expect(try AuditLog(database: c.database, events: c.events).verify() == .intact(entries: after.rows))
        #expect(
            c.metrics.exposition().contains(
                #"baton_rate_limited_total{class="anonymous"} \#(result.statuses[429] ?? 0)"#))
        // Liveness answered throughout.
        #expect(result.healthChecks >= 1 && result.healthFailures == 0, "\(result)")
        #expect(result.slowestHealth < .seconds(2), "slowest /health: \(result.slowestHealth)")
    }

    /// The same probe with the protection off (no source limit, interval 0): every request is an
    /// entry, so the table grows with the flood. This is what the test above would see without it.
    @Test func theSameFloodWithoutTheProtectionGrowsTheTable() async throws {
        let c = try await TestCoordinator.make(configFile: ["audit": ["refused_interval_s": 0]])
        defer { c.close() }
        let (server, port) = try c.startServer()
        let result = try await Self.flood(port: port, total: 10_000)
        await server.shutdown()
        await c.refusedAudit.stop()
        let size = try Self.auditSize(c)
        #expect(result.statuses == [401: 10_000])
        #expect(size.rows == 10_000, "\(size)")
        #expect(size.bytes > 2 * 2048, "\(size)")
    }
}

/// One keep-alive loopback connection sending a request and reading its whole answer at a time.
final class HTTPLoop: @unchecked Sendable {
    // @unchecked: used by one thread at a time.
    private let connection: RawConnection
    private var buffer: [UInt8] = []

    init(port: Int) throws { connection = try RawConnection(port: port) }

    /// Sends `request` and returns the status of its answer (read to the end of its body).
    func exchange(_ request: [UInt8]) throws -> Int {
        var offset = 0
        while offset < request.count {
            let n = request.withUnsafeBytes {
                Glibc.send(connection.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw RawConnectionError.failed("send") }
            offset += n
        }
        while true {
            if let (status, length) = Self.complete(buffer) {
                buffer.removeFirst(length)
                return status
            }
            var pfd = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 10_000) > 0 else { throw RawConnectionError.failed("no answer in 10 s") }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(connection.fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw RawConnectionError.failed("closed") }
            buffer += chunk[0..<n]
        }
    }

    /// The status and total length of the first answer in `bytes`, when all of it is there.
    static func complete(_ bytes: [UInt8]) -> (status: Int, length: Int)? {
        guard bytes.count >= 4 else { return nil }
        var end = -1
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            end = i
            break
        }
        guard end >= 12 else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        guard let status = Int(head.dropFirst(9).prefix(3)) else { return nil }
        var length = 0
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                length = Int(parts[1].filter { $0 != " " && $0 != "\t" }) ?? 0
            }
        }
        let total = end + 4 + length
        return bytes.count >= total ? (status, total) : nil
    }
}

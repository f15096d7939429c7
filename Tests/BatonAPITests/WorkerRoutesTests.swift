import BatonCore
import BatonHTTP
import BatonJSON
import BatonTestSupport
import Synchronization
import Testing

@testable import BatonAPI
@testable import BatonJobs

/// A worker that speaks the worker protocol to a real server over loopback HTTP.
struct SimulatedWorker: Sendable {
    let base: String
    let instance: String
    let key: String
    let client: HTTPClient

    func call(_ method: HTTPMethod, _ path: String, _ body: String = "") async throws -> (Int, JSONValue) {
        let response = try await client.execute(
            HTTPClientRequest(
                method: method, url: base + path,
                headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"],
                body: Array(body.utf8), timeout: .seconds(40)))
        return (response.status, (try? JSONParser.parse(response.body)) ?? .null)
    }

    func heartbeat(capacity: Int = 1) async throws {
        let (status, _) = try await call(
            .put, "/presence",
            #"{"instance":"\#(instance)","status":"idle","provider":"claude","capacity":\#(capacity)}"#)
        #expect(status == 200)
    }

    func lease(wait: Int) async throws -> (id: Int64, token: String)? {
        let (status, body) = try await call(.post, "/api/workers/\(instance)/lease?wait_s=\(wait)")
        guard status == 200, let id = body["job"]?["id"]?.intValue, let token = body["lease"]?["token"]?.stringValue
        else {
            #expect(status == 204)
            return nil
        }
        return (id, token)
    }

    func report(_ id: Int64, token: String) async throws -> (Int, JSONValue) {
        try await call(.post, "/api/jobs/\(id)/events", #"{"token":"\#(token)","tokens":{"input":10,"output":2}}"#)
    }

    func complete(_ id: Int64, token: String) async throws -> Int {
        try await call(.post, "/api/jobs/\(id)/complete", #"{"token":"\#(token)","result":"by \#(instance)"}"#).0
    }
}

@Suite struct WorkerProtocolLiveTests {
    @Test func aJobSurvivesItsWorkerDyingMidJob() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        let base = "http://127.0.0.1:\(port)"
        let a = SimulatedWorker(base: base, instance: "a", key: try c.makeKey(.worker, name: "a"), client: client)
        let b = SimulatedWorker(base: base, instance: "b", key: try c.makeKey(.worker, name: "b"), client: client)
        try await a.heartbeat()
        let admin = SimulatedWorker(base: base, instance: "-", key: c.adminKey, client: client)
        let (created, job) = try await admin.call(.post, "/api/jobs", #"{"prompt":"refactor","provider":"claude"}"#)
        #expect(created == 201)
        let id = try #require(job["id"]?.intValue)
        let leaseA = try #require(try await a.lease(wait: 1))
        #expect(leaseA.id == id)
        // The renewed lease says how long it lasts (router.lease_s), for the worker's own clock.
        let (reported, renewed) = try await a.report(id, token: leaseA.token)
        #expect(reported == 200 && renewed["lease"]?["expires_in_ms"] == 30_000, "\(renewed.text)")
        // a goes silent; b comes up. Past the lease and the staleness window, the sweep requeues.
        c.clock.advance(seconds: 31)
        try await b.heartbeat()
        try await c.dispatcher.sweep()
        let leaseB = try #require(try await b.lease(wait: 1))
        #expect(leaseB.id == id)
        #expect(leaseB.token != leaseA.token)
        // a wakes up late: its token is stale, for reports and for completion.
        #expect(try await a.report(id, token: leaseA.token).0 == 409)
        #expect(try await a.complete(id, token: leaseA.token) == 409)
        #expect(try await b.complete(id, token: leaseB.token) == 200)
        let (_, final) = try await admin.call(.get, "/api/jobs/\(id)")
        #expect(final["status"] == "completed")
        #expect(final["worker"] == "b")
        #expect(final["attempt"] == 2)
        #expect(final["result"] == "by b")
        await server.shutdown()
    }

    @Test func aLongPollWakesWhenAJobArrives() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        let base = "http://127.0.0.1:\(port)"
        let w = SimulatedWorker(base: base, instance: "w", key: c.adminKey, client: client)
        try await w.heartbeat()
        async let leased = w.lease(wait: 20)
        // The poll is parked in the dispatcher before the job exists, so the job is what wakes it.
        #expect(await eventually { c.dispatcher.waiters.parkedCount == 1 })
        // Timed from the park: how long a busy pool took to get the poll there is not what is
        // checked, only that the job ends it well before its 20 s wait.
        let started = ContinuousClock.now
        let (status, _) = try await w.call(.post, "/api/jobs", #"{"prompt":"x","provider":"claude"}"#)
        #expect(status == 201)
        let lease = try await leased
        #expect(lease != nil)
        #expect(ContinuousClock.now - started < .seconds(10))
        await server.shutdown()
    }

    /// 50 workers long-poll at once while 200 jobs arrive: each job is leased exactly once.
    @Test func fiftyConcurrentWorkersNeverShareAJob() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let client = HTTPClient()
        defer { client.shutdown() }
        let base = "http://127.0.0.1:\(port)"
        let workers = (0..<50).map { SimulatedWorker(base: base, instance: "w\($0)", key: c.adminKey, client: client) }
        for w in workers { try await w.heartbeat(capacity: 2) }
        let total = 200
        let tally = Tally(remaining: total)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in workers {
                group.addTask {
                    while tally.remaining.load(ordering: .relaxed) > 0 {
                        guard let lease = try await w.lease(wait: 1) else { continue }
                        tally.leased.withLock { $0.append(lease.id) }
                        #expect(try await w.complete(lease.id, token: lease.token) == 200)
                        tally.remaining.subtract(1, ordering: .relaxed)
                    }
                }
            }
            group.addTask {
                let creator = SimulatedWorker(base: base, instance: "-", key: c.adminKey, client: client)
                for i in 0..<total {
                    let (status, _) = try await creator.call(
                        .post, "/api/jobs", #"{"prompt":"job \#(i)","provider":"claude"}"#)
                    #expect(status == 201)
                }
            }
            try await group.waitForAll()
        }
        let ids = tally.leased.withLock { $0 }
        #expect(ids.count == total)
        #expect(Set(ids).count == total)
        #expect(await c.request(.get, "/api/jobs?status=completed").json["total"] == .int(Int64(total)))
        await server.shutdown()
    }
}

private final class Tally: Sendable {
    let leased = Mutex<[Int64]>([])
    let remaining: Atomic<Int>
    init(remaining: Int) { self.remaining = Atomic(remaining) }
}

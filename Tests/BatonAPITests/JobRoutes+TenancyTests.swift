import BatonCore
import BatonHTTP
import BatonJSON
import Testing

@testable import BatonAPI

/// Jobs and workers are per tenant: another tenant's do not exist for a key, and a worker key acts
/// only as its worker.
@Suite struct JobTenancyTests {
    /// Another tenant's jobs and workers do not exist for a key: 404 on every route that names one.
    @Test func anotherTenantSeesNothing() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w")
        let id = try #require(await c.createJob()["id"]?.intValue)
        let lease = try #require(await c.lease("w"))
        let other = try c.makeKey(.admin, tenant: "other")
        let before = try c.dispatchRows()
        let probes: [(HTTPMethod, String, String)] = [
            (.get, "/api/jobs/\(id)", ""), (.put, "/api/jobs/\(id)", #"{"priority":"high"}"#),
            (.post, "/api/jobs/\(id)/cancel", ""), (.post, "/api/jobs/\(id)/retry", ""),
            (.post, "/api/jobs/\(id)/events", #"{"token":"\#(lease.token)"}"#),
            (.post, "/api/jobs/\(id)/complete", #"{"token":"\#(lease.token)"}"#), (.get, "/api/workers/w", ""),
            (.post, "/api/workers/w/pause", ""), (.post, "/api/workers/w/resume", ""),
            (.post, "/api/workers/w/lease?wait_s=0", ""),
        ]
        for (method, target, body) in probes {
            let response = await c.send(method, target, body, key: other)
            #expect(response.status == .notFound, "\(method) \(target): \(response.status)")
        }
        #expect(try c.dispatchRows() == before)
        #expect(await c.request(.get, "/api/jobs", key: other).json["total"] == 0)
        #expect(await c.request(.get, "/api/workers", key: other).json["total"] == 0)
        #expect(await c.request(.get, "/presence", key: other).json["total"] == 0)
        #expect(await c.request(.get, "/api/cost/summary", key: other).json["jobs"] == 0)
        // A killswitch is per tenant.
        _ = await c.send(.post, "/tenant/killswitch", #"{"level":2,"reason":"other only"}"#, key: other)
        #expect(await c.request(.get, "/tenant/killswitch").json["level"] == 0)
        #expect(await c.complete(id, token: lease.token).status == .ok)
    }

    @Test func aWorkerKeyActsOnlyAsItself() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let w1 = try c.makeKey(.worker, name: "w1")
        let w2 = try c.makeKey(.worker, name: "w2")
        await c.heartbeat("w1", key: w1)
        let refused = await c.send(.put, "/presence", #"{"instance":"w2","provider":"claude"}"#, key: w1)
        #expect(refused.status == .forbidden)
        await c.heartbeat("w2", key: w2)
        let first = try #require(await c.createJob()["id"]?.intValue)
        let second = try #require(await c.createJob()["id"]?.intValue)
        #expect(await c.send(.post, "/api/workers/w2/lease?wait_s=0", key: w1).status == .notFound)
        let lease1 = try #require(await c.lease("w1", key: w1))
        let lease2 = try #require(await c.lease("w2", key: w2))
        #expect(Set([lease1.id, lease2.id]) == [first, second])
        // Its own job it may read; the other's is not there for it, even with the right token.
        #expect(await c.request(.get, "/api/jobs/\(lease1.id)", key: w1).status == .ok)
        #expect(await c.request(.get, "/api/jobs/\(lease2.id)", key: w1).status == .notFound)
        #expect(await c.complete(lease2.id, token: lease2.token, key: w1).status == .notFound)
        #expect(await c.complete(lease2.id, token: "1.forged", key: w1).status == .conflict)
        #expect(await c.complete(lease1.id, token: lease1.token, key: w1).status == .ok)
        // Nothing else is open to it.
        #expect(await c.send(.post, "/api/jobs", #"{"prompt":"x"}"#, key: w1).status == .forbidden)
        #expect(await c.request(.get, "/api/jobs", key: w1).status == .forbidden)
        #expect(await c.send(.post, "/tenant/killswitch", #"{"level":4,"reason":"x"}"#, key: w1).status == .forbidden)
        // And operators may not act as workers.
        let op = try c.makeKey(.operator)
        #expect(await c.send(.post, "/api/workers/w1/lease?wait_s=0", key: op).status == .forbidden)
    }

    @Test func metricsCountJobsAndDispatches() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = await c.send(.post, "/dispatch", #"{"prompt":"x"}"#)
        await c.heartbeat("w", provider: "dry-run")
        let id = try #require(await c.createJob(#"{"prompt":"x"}"#)["id"]?.intValue)
        let lease = try #require(await c.lease("w"))
        _ = await c.complete(id, token: lease.token)
        try await c.dispatcher.sweep()
        let text = c.metrics.exposition()
        #expect(text.contains("baton_jobs{status=\"completed\"} 1"))
        #expect(text.contains("baton_dispatches_total{outcome=\"assigned\"} 1"))
        #expect(text.contains("baton_dispatches_total{outcome=\"no_worker\"} 1"))
        #expect(text.contains("baton_dispatch_latency_seconds_count 1"))
        #expect(text.contains("baton_workers{state=\"online\"} 1"))
    }
}

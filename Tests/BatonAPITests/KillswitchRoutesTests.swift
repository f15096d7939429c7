import BatonCore
import BatonHTTP
import BatonJSON
import Testing

@testable import BatonAPI

@Suite struct KillswitchRoutesTests {
    func set(_ c: TestCoordinator, _ level: Int, reason: String = "test") async -> HTTPResponse {
        await c.send(.post, "/tenant/killswitch", #"{"level":\#(level),"reason":"\#(reason)"}"#)
    }

    @Test func levelZeroOnlyRecords() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w")
        let answer = await set(c, 0, reason: "drill")
        #expect(answer.status == .ok)
        #expect(answer.json["killswitch"]?["level"] == 0)
        #expect(answer.json["killswitch"]?["reason"] == "drill")
        #expect(await c.createJob()["status"] == "assigned")
        #expect(await c.request(.get, "/tenant/killswitch").json["reason"] == "drill")
    }

    @Test func levelOneHoldsDispatchUntilCleared() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w", capacity: 2)
        let assigned = try #require(await c.createJob()["id"]?.intValue)
        #expect(await set(c, 1).status == .ok)
        // The assigned, unleased job went back to the queue; new jobs queue; nothing is leased.
        #expect(await c.job(assigned)["status"] == "pending")
        let queued = await c.createJob()
        #expect(queued["status"] == "pending")
        #expect(await c.lease("w") == nil)
        let before = try c.dispatchRows()
        let dispatch = await c.send(.post, "/dispatch", #"{"prompt":"x","provider":"claude"}"#)
        #expect(dispatch.status == .locked)
        #expect(dispatch.json["code"] == "killswitch_active")
        #expect(try c.dispatchRows() == before)
        let cleared = await c.send(.post, "/tenant/killswitch/clear")
        #expect(cleared.json["killswitch"]?["level"] == 0)
        #expect(cleared.json["previous_level"] == 1)
        #expect(await c.job(assigned)["status"] == "assigned")
        #expect(await c.lease("w") != nil)
    }

    @Test func levelTwoRefusesNewJobs() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        #expect(await set(c, 2).status == .ok)
        let before = try c.dispatchRows()
        let create = await c.send(.post, "/api/jobs", #"{"prompt":"x"}"#)
        #expect(create.status == .locked)
        #expect(create.json["error"]?.stringValue?.contains("level 2") == true)
        #expect(await c.send(.post, "/dispatch", #"{"prompt":"x"}"#).status == .locked)
        #expect(try c.dispatchRows() == before)
    }

    @Test func levelThreeDrains() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("busy")
        let running = try #require(await c.createJob()["id"]?.intValue)
        let lease = try #require(await c.lease("busy"))
        let pending = try #require(await c.createJob()["id"]?.intValue)
        await c.heartbeat("idle", provider: "ollama")
        let answer = await set(c, 3, reason: "spend spike")
        #expect(answer.json["cancelled_jobs"] == 1)
        #expect(answer.json["paused_workers"] == 1)
        #expect(await c.job(pending)["status"] == "cancelled")
        #expect(await c.request(.get, "/api/workers/idle").json["paused"] == true)
        #expect(await c.request(.get, "/api/workers/busy").json["paused"] == false)
        // The running job finishes; then its worker is paused.
        #expect(await c.complete(running, token: lease.token).json["status"] == "completed")
        #expect(await c.request(.get, "/api/workers/busy").json["paused"] == true)
    }

    @Test func levelFourHaltsAndClearKeepsWorkersPausedUnlessAsked() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("a")
        await c.heartbeat("b")
        let running = try #require(await c.createJob()["id"]?.intValue)
        let lease = try #require(await c.lease("a"))
        let answer = await set(c, 4, reason: "runaway dispatch detected")
        #expect(answer.json["cancelled_jobs"] == 1)
        #expect(answer.json["paused_workers"] == 2)
        #expect(await c.job(running)["status"] == "cancelled")
        let told = await c.send(.post, "/api/jobs/\(running)/events", #"{"token":"\#(lease.token)"}"#)
        #expect(told.json["cancel"] == true)
        #expect(await c.heartbeat("a")["commands"] == [["kind": "cancel_job", "job": .int(running)]])
        let workers = await c.request(.get, "/api/workers").json["workers"]?.arrayValue ?? []
        #expect(workers.allSatisfy { $0["paused"] == true })
        let cleared = await c.send(.post, "/tenant/killswitch/clear")
        #expect(cleared.json["resumed_workers"] == 0)
        #expect(await c.request(.get, "/api/workers/a").json["paused"] == true)
        _ = await set(c, 4)
        let resumed = await c.send(.post, "/tenant/killswitch/clear?resume_all=true")
        #expect(resumed.json["resumed_workers"] == 2)
        #expect(await c.request(.get, "/api/workers/a").json["paused"] == false)
        // Every change was audited and announced.
        #expect(try c.auditActions().filter { $0 == "POST /tenant/killswitch" }.count == 2)
        #expect(try c.auditActions().filter { $0 == "POST /tenant/killswitch/clear" }.count == 2)
        #expect(try c.eventTypes().filter { $0 == "killswitch.changed" }.count == 4)
        #expect(c.metrics.exposition().contains("baton_killswitch_level{tenant=\"default\"} 0"))
    }

    @Test func aCrossedBudgetRaisesTheLevel() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = try c.config.replaceOverlay([
            "budget": ["daily_limit_usd": 1.0],
            "providers": [
                "claude": ["kind": "anthropic", "pricing": ["haiku": ["input_per_mtok": 1.0, "output_per_mtok": 5.0]]]
            ],
        ])
        await c.heartbeat("w")
        let first = try #require(
            await c.createJob(#"{"prompt":"x","provider":"claude","model":"haiku"}"#)["id"]?.intValue)
        let lease1 = try #require(await c.lease("w"))
        let done = await c.complete(first, token: lease1.token, extra: #","tokens":{"input":500000,"output":0}"#)
        #expect(done.json["cost_usd"] == .double(0.5))
        #expect(await c.request(.get, "/tenant/killswitch").json["level"] == 0)
        let second = try #require(
            await c.createJob(#"{"prompt":"y","provider":"claude","model":"haiku"}"#)["id"]?.intValue)
        let lease2 = try #require(await c.lease("w"))
        _ = await c.complete(second, token: lease2.token, extra: #","tokens":{"input":0,"output":200000}"#)
        let state = await c.request(.get, "/tenant/killswitch").json
        #expect(state["level"] == 2)
        #expect(state["set_by"] == "system")
        #expect(state["reason"]?.stringValue?.hasPrefix("budget: today's spend $1.50") == true)
        #expect(try c.auditActions().contains("killswitch.raise"))
        #expect(await c.send(.post, "/api/jobs", #"{"prompt":"z"}"#).status == .locked)
        let breakdown = await c.request(.get, "/api/cost/breakdown?period=month").json
        #expect(breakdown["total_usd"] == .double(1.5))
        #expect(breakdown["items"]?.arrayValue?.first?["model"] == "haiku")
        #expect(breakdown["items"]?.arrayValue?.first?["jobs"] == 2)
        #expect(await c.request(.get, "/api/cost/summary?period=year").status == .badRequest)
        #expect(await c.request(.get, "/api/cost/summary?period=week").json["total_usd"] == .double(1.5))
    }
}

import BatonCore
import BatonHTTP
import BatonJSON
import BatonJobs
import BatonWorkerProtocol
import Testing

@testable import BatonAPI

@Suite struct JobRoutesTests {
    @Test func createLeaseReportCompleteThroughTheRouter() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("gpu-1", tags: "summarize")
        let created = await c.createJob(
            #"{"prompt":"Summarize this document","input":"...","provider":"claude","model":"haiku","priority":"normal","tier":"medium","tags":["summarize"]}"#
        )
        let id = try #require(created["id"]?.intValue)
        #expect(created["status"] == "assigned")
        #expect(created["worker"] == "gpu-1")
        #expect(created["routing"]?["worker"] == "gpu-1")
        #expect(created["routing"]?["candidates"] == 1)
        let lease = try #require(await c.lease("gpu-1"))
        #expect(lease.id == id)
        #expect(await c.job(id)["status"] == "running")
        let events = await c.send(
            .post, "/api/jobs/\(id)/events",
            #"{"token":"\#(lease.token)","progress":{"turn":1},"tokens":{"input":100,"output":20}}"#)
        #expect(events.status == .ok)
        #expect(events.json["cancel"] == false)
        #expect(events.json["lease"]?["token"]?.stringValue == lease.token)
        let done = await c.complete(
            id, token: lease.token, extra: #","result":"Done.","tokens":{"input":1200,"output":340}"#)
        #expect(done.status == .ok)
        #expect(done.json["status"] == "completed")
        #expect(done.json["result"] == "Done.")
        #expect(done.json["tokens"]?["input"] == 1200)
        // Built in memory, not read back: it must be the stored job exactly.
        #expect(await c.job(id) == done.json)
        // The same completion again is answered, not applied twice.
        let again = await c.complete(id, token: lease.token)
        #expect(again.status == .ok)
        #expect(again.json["status"] == "completed")
        #expect(
            try c.eventTypes().filter { $0.hasPrefix("job.") } == [
                "job.created", "job.assigned", "job.started", "job.progress", "job.completed",
            ])
        let summary = await c.request(.get, "/api/cost/summary?period=day").json
        #expect(summary["jobs"] == 1)
        #expect(summary["tokens"]?["output"] == 340)
        let worker = await c.request(.get, "/api/workers/gpu-1").json
        #expect(worker["jobs_completed"] == 1)
        #expect(worker["active_jobs"] == 0)
    }

    /// The create answer is built in memory rather than read back: it must be the stored job,
    /// whether the job was placed at once or queued.
    @Test func createAnswersExactlyWhatIsStored() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let queued = await c.createJob(#"{"prompt":"p","provider":"claude","tags":["gpu"],"issue":"ENG-1"}"#)
        #expect(queued["status"] == "pending")
        #expect(await c.job(try #require(queued["id"]?.intValue)) == queued)
        // The heartbeat places the queued job; the second slot takes the next one at creation.
        await c.heartbeat("gpu-1", tags: "gpu", capacity: 2)
        let placed = await c.createJob(
            #"{"prompt":"q","input":"in","provider":"claude","model":"haiku","priority":"high","tier":"low","tags":["gpu"]}"#
        )
        #expect(placed["status"] == "assigned" && placed["worker"] == "gpu-1")
        #expect(await c.job(try #require(placed["id"]?.intValue)) == placed)
        #expect(
            try c.eventTypes().filter { $0.hasPrefix("job.") } == [
                "job.created", "job.assigned", "job.created", "job.assigned",
            ])
    }

    @Test func dispatchAnswers503AndLeavesNoJobWithoutEligibleWorkers() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let body = #"{"prompt":"x","provider":"claude","model":"haiku","tags":["code"]}"#
        let none = await c.send(.post, "/dispatch", body)
        #expect(none.status == .serviceUnavailable)
        #expect(none.json["code"] == "no_eligible_worker")
        #expect(none.json["error"] == "no eligible worker: no worker is registered")
        await c.heartbeat("a-paused", tags: "code")
        #expect(await c.send(.post, "/api/workers/a-paused/pause").status == .ok)
        await c.heartbeat("b-provider", tags: "code", provider: "ollama")
        await c.heartbeat("c-tags", tags: "docs")
        await c.heartbeat("d-full", tags: "code", capacity: 1)
        _ = await c.send(.post, "/dispatch", #"{"prompt":"fill","provider":"claude","tags":["code"]}"#)
        await c.heartbeat("e-gone", tags: "code")
        c.clock.advance(seconds: 16)
        await c.heartbeat("a-paused", tags: "code")
        await c.heartbeat("b-provider", tags: "code", provider: "ollama")
        await c.heartbeat("c-tags", tags: "docs")
        await c.heartbeat("d-full", tags: "code", capacity: 1)
        let before = try c.dispatchRows()
        let rejected = await c.send(.post, "/dispatch", body)
        #expect(rejected.status == .serviceUnavailable)
        #expect(rejected.json["error"] == "no eligible worker: all 5 rejected")
        #expect(
            rejected.json["details"] == [
                "a-paused": "paused", "b-provider": "does not serve the job's provider",
                "c-tags": "lacks some of the job's tags", "d-full": "at capacity",
                "e-gone": "offline (no recent heartbeat)",
            ])
        #expect(try c.dispatchRows() == before)
        let listed = await c.request(.get, "/api/jobs").json
        #expect(listed["total"] == 1)
    }

    @Test func dispatchAssignsAtOnceWithRouting() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w1", capacity: 2)
        await c.heartbeat("w2", capacity: 2)
        _ = await c.send(.post, "/dispatch", #"{"prompt":"first","provider":"claude"}"#)
        let second = await c.send(.post, "/dispatch", #"{"prompt":"second","provider":"claude"}"#)
        #expect(second.status == .ok)
        // w1 took the first (tie broken by name); w2 has more headroom now.
        #expect(second.json["worker"] == "w2")
        #expect(second.json["status"] == "assigned")
        #expect(second.json["routing"]?["eligible"] == 2)
        #expect(second.json["routing"]?["components"]?["headroom"] == .double(35))
    }

    /// A node's `top_models` are kept with its worker (and across a restart), shown on the worker,
    /// and steer a job for one of them to that node.
    @Test func topModelsFromAHeartbeatScoreRoutingAndSurviveARestart() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("plain")
        let ranked = await c.send(
            .put, "/presence",
            #"{"instance":"ranked","provider":"claude","top_models":[{"name":"org/coder-7b","fit":"perfect","score":92}]}"#
        )
        #expect(ranked.status == .ok, "\(ranked.bodyText)")
        let worker = await c.request(.get, "/api/workers/ranked").json
        let shown = worker["top_models"]?.arrayValue?.first
        #expect(shown?["name"] == "org/coder-7b" && shown?["score"] == .double(92) && shown?["fit"] == "perfect")
        let job = await c.send(.post, "/dispatch", #"{"prompt":"p","provider":"claude","model":"org/coder-7b"}"#)
        #expect(job.json["worker"] == "ranked", "\(job.bodyText)")
        #expect(job.json["routing"]?["components"]?["model_fit"] == .double(13.8))
        // A fresh dispatcher over the same database (a restart) reads them back.
        let reopened = try Dispatcher(
            database: c.database, events: c.events, settings: DispatchSettings(config: c.config.effective),
            metrics: MetricsRegistry(), clock: DispatchClock { c.clock.now })
        let view = try reopened.worker("ranked", tenant: "default")
        #expect(view.entry.report.topModels == [WorkerModel(name: "org/coder-7b", score: 92, fit: "perfect")])
    }

    @Test func pendingJobsGoOutByPriorityThenAge() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        var ids: [String: Int64] = [:]
        for (name, priority) in [("low", "low"), ("normal-1", "normal"), ("high", "high"), ("normal-2", "normal")] {
            let job = await c.createJob(#"{"prompt":"\#(name)","provider":"claude","priority":"\#(priority)"}"#)
            #expect(job["status"] == "pending")
            ids[name] = job["id"]?.intValue
        }
        await c.heartbeat("solo")
        var order: [Int64] = []
        for _ in 0..<4 {
            let lease = try #require(await c.lease("solo"))
            order.append(lease.id)
            #expect(await c.complete(lease.id, token: lease.token).status == .ok)
        }
        #expect(order == [ids["high"]!, ids["normal-1"]!, ids["normal-2"]!, ids["low"]!])
        #expect(await c.lease("solo") == nil)
    }

    @Test func putChangesMetadataUntilTheJobFinishes() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let id = try #require(await c.createJob()["id"]?.intValue)
        let changed = await c.send(.put, "/api/jobs/\(id)", #"{"priority":"high","tier":"low","tags":["x"]}"#)
        #expect(changed.status == .ok)
        #expect(changed.json["priority"] == "high" && changed.json["tier"] == "low" && changed.json["tags"] == ["x"])
        let before = try c.dispatchRows()
        for bad in [
            #"{}"#, #"{"priority":"urgent"}"#, #"{"tier":7}"#, #"{"tags":["a b"]}"#, #"{"status":"completed"}"#, "[1]",
            "{",
        ] {
            let response = await c.send(.put, "/api/jobs/\(id)", bad)
            #expect(response.status == .badRequest, "\(bad): \(response.bodyText)")
        }
        #expect(
            await c.request(.put, "/api/jobs/\(id)", headers: ["Content-Type": "text/plain"], body: "x").status
                == .unsupportedMediaType)
        #expect(try c.dispatchRows() == before)
        await c.heartbeat("w", tags: "x")
        let lease = try #require(await c.lease("w"))
        #expect(await c.complete(lease.id, token: lease.token).status == .ok)
        let late = await c.send(.put, "/api/jobs/\(id)", #"{"priority":"low"}"#)
        #expect(late.status == .conflict)
        #expect(await c.job(id)["priority"] == "high")
    }

    @Test func cancelReachesTheRunningJobsWorker() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let pending = try #require(await c.createJob()["id"]?.intValue)
        #expect(await c.send(.post, "/api/jobs/\(pending)/cancel").json["status"] == "cancelled")
        #expect(await c.send(.post, "/api/jobs/\(pending)/cancel").status == .conflict)
        await c.heartbeat("w")
        let running = try #require(await c.createJob()["id"]?.intValue)
        let lease = try #require(await c.lease("w"))
        #expect(lease.id == running)
        let cancelled = await c.send(.post, "/api/jobs/\(running)/cancel")
        #expect(cancelled.json["status"] == "cancelled")
        #expect(cancelled.json["cancel_requested"] == true)
        let told = await c.send(.post, "/api/jobs/\(running)/events", #"{"token":"\#(lease.token)"}"#)
        #expect(told.status == .ok)
        #expect(told.json["cancel"] == true)
        let heartbeat = await c.heartbeat("w")
        #expect(heartbeat["commands"] == [["kind": "cancel_job", "job": .int(running)]])
        // Commands are handed out once.
        #expect(await c.heartbeat("w")["commands"] == [])
        // The worker's final report records what it used; the job stays cancelled.
        let final = await c.complete(running, token: lease.token, extra: #","tokens":{"input":5,"output":1}"#)
        #expect(final.status == .ok)
        #expect(final.json["status"] == "cancelled")
        #expect(final.json["tokens"]?["input"] == 5)
    }

    @Test func retryRequeuesFailedCancelledAndStuckJobsOnly() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w")
        let id = try #require(await c.createJob()["id"]?.intValue)
        let lease = try #require(await c.lease("w"))
        #expect(await c.send(.post, "/api/jobs/\(id)/retry").status == .conflict)
        let failed = await c.complete(id, token: lease.token, extra: #","status":"failed","error":"tests failed""#)
        #expect(failed.json["status"] == "failed")
        #expect(failed.json["error"] == "tests failed")
        let retried = await c.send(.post, "/api/jobs/\(id)/retry")
        #expect(retried.status == .ok)
        #expect(retried.json["attempt"] == 2)
        #expect(retried.json["status"] == "assigned")
        let second = try #require(await c.lease("w"))
        // Stuck: the lease ran out and no sweep has run yet.
        c.clock.advance(seconds: 31)
        await c.heartbeat("w")
        #expect(await c.send(.post, "/api/jobs/\(id)/retry").json["attempt"] == 3)
        #expect(await c.complete(id, token: second.token).status == .conflict)
        let third = try #require(await c.lease("w"))
        #expect(await c.complete(id, token: third.token).status == .ok)
        #expect(await c.send(.post, "/api/jobs/\(id)/retry").status == .conflict)
        #expect(await c.send(.post, "/api/jobs/999/retry").status == .notFound)
        #expect(await c.send(.post, "/api/jobs/abc/retry").status == .notFound)
    }

    @Test func anExpiredLeaseRequeuesUpToMaxAttemptsThenFails() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w")
        let id = try #require(await c.createJob()["id"]?.intValue)
        for attempt in 1...3 {
            let lease = try #require(await c.lease("w"))
            #expect(lease.id == id)
            #expect(await c.job(id)["attempt"] == .int(Int64(attempt)))
            c.clock.advance(seconds: 31)
            await c.heartbeat("w")
            try await c.dispatcher.sweep()
        }
        let job = await c.job(id)
        #expect(job["status"] == "failed")
        #expect(job["error"]?.stringValue?.contains("attempt 3 of 3") == true)
        #expect(try c.eventTypes().filter { $0 == "job.requeued" }.count == 2)
    }

    @Test func aSilentWorkerGoesOfflineAndItsUnleasedJobsReturn() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w")
        let id = try #require(await c.createJob()["id"]?.intValue)
        #expect(await c.job(id)["worker"] == "w")
        c.clock.advance(seconds: 16)
        try await c.dispatcher.sweep()
        #expect(await c.job(id)["status"] == "pending")
        #expect(await c.request(.get, "/presence").json["total"] == 0)
        #expect(await c.request(.get, "/api/workers/w").json["online"] == false)
        #expect(try c.eventTypes().contains("worker.offline"))
        await c.heartbeat("w")
        #expect(try c.eventTypes().filter { $0 == "worker.online" }.count == 2)
        #expect(await c.job(id)["status"] == "assigned")
        let presence = await c.request(.get, "/presence").json
        #expect(presence["workers"]?.arrayValue?.first?["instance"] == "w")
        #expect(presence["workers"]?.arrayValue?.first?["active_jobs"] == 1)
    }

    @Test func listFiltersAndPages() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        for i in 0..<5 {
            _ = await c.createJob(#"{"prompt":"\#(i)","provider":"\#(i % 2 == 0 ? "claude" : "ollama")"}"#)
        }
        #expect(await c.request(.get, "/api/jobs?provider=claude").json["total"] == 3)
        #expect(await c.request(.get, "/api/jobs?status=pending&limit=2").json["jobs"]?.arrayValue?.count == 2)
        #expect(await c.request(.get, "/api/jobs?status=completed").json["total"] == 0)
        #expect(await c.request(.get, "/api/jobs?offset=4").json["jobs"]?.arrayValue?.count == 1)
        #expect(await c.request(.get, "/api/jobs?status=done").status == .badRequest)
        #expect(await c.request(.get, "/api/jobs?limit=501").status == .badRequest)
        #expect(await c.request(.get, "/api/jobs?provider=a%20b").status == .badRequest)
    }

    @Test func malformedAndOversizeBodiesChangeNothing() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w")
        let id = try #require(await c.createJob()["id"]?.intValue)
        let lease = try #require(await c.lease("w"))
        _ = try c.config.replaceOverlay(["jobs": ["max_prompt_bytes": 64]])
        let before = try c.dispatchRows()
        let events = try c.eventCount()
        let cases: [(HTTPMethod, String, String)] = [
            (.post, "/api/jobs", "{"), (.post, "/api/jobs", "[]"), (.post, "/api/jobs", #"{"prompt":""}"#),
            (.post, "/api/jobs", #"{"prompt":"x","priority":"now"}"#),
            (.post, "/api/jobs", #"{"prompt":"\#(String(repeating: "a", count: 65))"}"#),
            (.post, "/dispatch", #"{"prompt":"x","tier":"xl"}"#), (.post, "/dispatch", #"{"prompt":"x","tags":[1]}"#),
            (.put, "/presence", #"{"instance":""}"#),
            (.put, "/presence", #"{"instance":"w","provider":"x","load":-1}"#),
            (.post, "/api/jobs/\(id)/events", #"{}"#), (.post, "/api/jobs/\(id)/events", #"{"token":5}"#),
            (.post, "/api/jobs/\(id)/events", #"{"token":"\#(lease.token)","tokens":{"input":-1}}"#),
            (.post, "/api/jobs/\(id)/complete", #"{"token":"\#(lease.token)","status":"done"}"#),
            (.post, "/api/jobs/\(id)/complete", #"{"token":"\#(lease.token)","cost_usd":-1}"#),
            (.post, "/api/jobs/\(id)/complete", #"{"token":"\#(lease.token)","model_used":""}"#),
            (.post, "/api/jobs/\(id)/complete", #"{"token":"\#(lease.token)","model_used":7}"#),
            (
                .post, "/api/jobs/\(id)/complete",
                #"{"token":"\#(lease.token)","model_used":"\#(String(repeating: "m", count: 257))"}"#
            ),
            (.post, "/api/jobs/\(id)/complete", #"{"token":"\#(lease.token)","report":[1]}"#),
            (.post, "/api/jobs/\(id)/complete", #"{"token":"\#(lease.token)","report":"did things"}"#),
            (
                .post, "/api/jobs/\(id)/complete",
                #"{"token":"\#(lease.token)","report":{"commands":["\#(String(repeating: "x", count: 70_000))"]}}"#
            ),
            (.post, "/api/workers/w/lease?wait_s=31", ""), (.post, "/tenant/killswitch", #"{"level":5,"reason":"x"}"#),
            (.post, "/tenant/killswitch", #"{"level":1}"#), (.post, "/tenant/killswitch", #"{"level":1,"reason":" "}"#),
            (.post, "/tenant/killswitch/clear?resume_all=maybe", ""),
        ]
        for (method, target, body) in cases {
            let response = await c.send(method, target, body)
            #expect(
                response.status == .badRequest, "\(method) \(target) \(body): \(response.status) \(response.bodyText)")
            #expect(response.json["code"] == "bad_request")
        }
        let wrongType = await c.request(.post, "/api/jobs", headers: ["Content-Type": "text/plain"], body: "prompt")
        #expect(wrongType.status == .unsupportedMediaType)
        #expect(try c.dispatchRows() == before)
        #expect(try c.eventCount() == events + cases.count + 1)  // only the audit entries' own events
    }

    /// The model the agent used and its report are stored with the completion, priced by that
    /// model, shown on the job, and a stale token changes neither.
    @Test func aCompletionRecordsTheModelUsedAndTheReport() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = try c.config.replaceOverlay([
            "providers": [
                "claude": [
                    "kind": "claude-code",
                    "pricing": ["claude-sonnet-5-5": ["input_per_mtok": 3, "output_per_mtok": 15]],
                ]
            ]
        ])
        await c.heartbeat("w")
        let id = try #require(await c.createJob()["id"]?.intValue)
        let lease = try #require(await c.lease("w"))
        let stale = await c.complete(id, token: "1.stale", extra: #","model_used":"other","report":{"commands":[]}"#)
        #expect(stale.status == .conflict)
        let untouched = await c.job(id)
        #expect(untouched["model_used"] == .null && untouched["report"] == .null)
        let report =
            #"{"agent":"claude-code","commands":["make test"],"files_changed":[{"path":"a.swift","change":"modified"}]}"#
        let done = await c.complete(
            id, token: lease.token,
            extra: #","tokens":{"input":1000000,"output":100000},"model_used":"claude-sonnet-5-5","report":\#(report)"#)
        #expect(done.status == .ok, "\(done.bodyText)")
        let job = await c.job(id)
        #expect(job == done.json)
        #expect(job["model"] == .null && job["model_used"] == "claude-sonnet-5-5")
        #expect(job["report"]?["commands"] == ["make test"])
        #expect(job["cost_usd"] == 4.5)
        let breakdown = await c.request(.get, "/api/cost/breakdown").json
        #expect(breakdown["items"]?.arrayValue?.first?["model"] == "claude-sonnet-5-5", "\(breakdown.text)")
    }

    /// A report with nothing new keeps the lease but is not agent activity: the job's
    /// `updated_at`, which stall detection reads, moves only with progress or tokens.
    @Test func aQuietReportIsNotActivity() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await c.heartbeat("w")
        let id = try #require(await c.createJob()["id"]?.intValue)
        let lease = try #require(await c.lease("w"))
        let started = try #require(await c.job(id)["updated_at"]?.stringValue)
        c.clock.advance(seconds: 5)
        let quiet = await c.send(.post, "/api/jobs/\(id)/events", #"{"token":"\#(lease.token)"}"#)
        #expect(quiet.status == .ok && quiet.json["lease"] != .null)
        #expect(await c.job(id)["updated_at"]?.stringValue == started)
        c.clock.advance(seconds: 5)
        _ = await c.send(.post, "/api/jobs/\(id)/events", #"{"token":"\#(lease.token)","progress":{"turn":2}}"#)
        #expect(await c.job(id)["updated_at"]?.stringValue != started)
    }

    /// A CLI resolves an alias to a name the price table does not list: the job is priced by the
    /// model it named, and recorded under the model used.
    @Test func anAliasTheTableKnowsStillPricesTheJob() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        _ = try c.config.replaceOverlay([
            "providers": [
                "claude": ["kind": "claude-code", "pricing": ["sonnet": ["input_per_mtok": 3, "output_per_mtok": 15]]]
            ]
        ])
        await c.heartbeat("w")
        let id = try #require(
            await c.createJob(#"{"prompt":"p","provider":"claude","model":"sonnet"}"#)["id"]?.intValue)
        let lease = try #require(await c.lease("w"))
        let done = await c.complete(
            id, token: lease.token,
            extra: #","tokens":{"input":1000000,"output":0},"model_used":"claude-sonnet-5-5""#)
        #expect(
            done.json["cost_usd"]?.doubleValue == 3 && done.json["model_used"] == "claude-sonnet-5-5",
            "\(done.bodyText)")
        let breakdown = await c.request(.get, "/api/cost/breakdown").json
        #expect(breakdown["items"]?.arrayValue?.first?["model"] == "claude-sonnet-5-5")
    }
}

import BatonCore
import BatonCoreFixtures
import BatonStore
import BatonWorkerProtocol
import Testing

@testable import BatonJobs

/// An idle coordinator writes nothing (SPEC §6.7): a heartbeat that changes nothing moves memory
/// only, until the stored heartbeat is a minute old; anything that changes is written at once.
@Suite struct DispatcherPresenceTests {
    static func storedHeartbeat(_ core: Core, _ instance: String) throws -> Int64? {
        try core.database.readBlocking {
            try $0.scalar("SELECT last_heartbeat_ms FROM workers WHERE instance = ?1", [.text(instance)])?.int64Value
        }
    }

    @Test func unchangedHeartbeatsWriteNothingUntilTheStoredOneIsAMinuteOld() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let report = PresenceReport(instance: "w1", provider: "dry-run")
            _ = try await core.dispatcher.presence(report, tenant: "default")
            let first = fixture.clock.now
            #expect(try Self.storedHeartbeat(core, "w1") == first)
            let commits = core.database.statistics.commits
            let events = try core.database.eventTypes()
            // Eleven heartbeats five seconds apart: 55 s, nothing written, the worker online.
            for _ in 0..<11 {
                fixture.clock.advance(ms: 5000)
                let answer = try await core.dispatcher.presence(report, tenant: "default")
                #expect(answer.worker.online && answer.worker.entry.lastHeartbeatMs == fixture.clock.now)
                try await core.dispatcher.sweep()
            }
            #expect(core.database.statistics.commits == commits)
            #expect(try core.database.eventTypes() == events)
            #expect(try Self.storedHeartbeat(core, "w1") == first)
            #expect(try core.dispatcher.worker("w1", tenant: "default").online)
            // The one that makes the stored heartbeat a minute old is written.
            fixture.clock.advance(ms: 5000)
            _ = try await core.dispatcher.presence(report, tenant: "default")
            #expect(try Self.storedHeartbeat(core, "w1") == fixture.clock.now)
            #expect(core.database.statistics.commits > commits)
        }
    }

    @Test func aChangedReportACommandOrAWaitingJobIsWrittenAtOnce() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let idle = PresenceReport(instance: "w1", provider: "dry-run")
            _ = try await core.dispatcher.presence(idle, tenant: "default")
            fixture.clock.advance(ms: 5000)
            var busy = idle
            busy.load = 1
            busy.status = .busy
            _ = try await core.dispatcher.presence(busy, tenant: "default")
            #expect(try Self.storedHeartbeat(core, "w1") == fixture.clock.now)
            let row = try core.database.readBlocking {
                try $0.scalar("SELECT load FROM workers WHERE instance = 'w1'")?.intValue
            }
            #expect(row == 1)

            // A command waiting for the worker is handed over by the next heartbeat.
            try await core.dispatcher.removeWorkspace("ENG-1", worker: "w1", tenant: "default")
            fixture.clock.advance(ms: 5000)
            let answer = try await core.dispatcher.presence(busy, tenant: "default")
            #expect(answer.commands == [.removeWorkspace("ENG-1")])

            // A job nobody could take yet is dispatched by the next heartbeat of a worker that can.
            _ = try await core.dispatcher.pause("w1", tenant: "default")
            let job = try await core.dispatcher.create(JobSpec(prompt: "p", provider: "dry-run"), tenant: "default")
            _ = try await core.dispatcher.resume("w1", tenant: "default")
            fixture.clock.advance(ms: 5000)
            _ = try await core.dispatcher.presence(busy, tenant: "default")
            #expect(try await core.dispatcher.job(job.id, tenant: "default").worker == "w1")
        }
    }

    @Test func aRestartKnowsTheLastStoredHeartbeatAndTheWorkerComesBackOnline() async throws {
        try await CoreFixture.with { fixture in
            var core = try await fixture.open()
            let report = PresenceReport(instance: "w1", provider: "dry-run")
            _ = try await core.dispatcher.presence(report, tenant: "default")
            let stored = fixture.clock.now
            for _ in 0..<10 {
                fixture.clock.advance(ms: 5000)
                _ = try await core.dispatcher.presence(report, tenant: "default")
            }
            core = try await fixture.restart(core)
            // What a restart knows is the stored heartbeat, 50 s old: the worker is offline until
            // it is heard from again (its leases are stored apart and expire as they would).
            let known = try core.dispatcher.worker("w1", tenant: "default")
            #expect(known.entry.lastHeartbeatMs == stored && !known.online)
            // Its next heartbeat is written (it was not known to be online) and it is online.
            fixture.clock.advance(ms: 5000)
            let answer = try await core.dispatcher.presence(report, tenant: "default")
            #expect(answer.worker.online)
            #expect(try Self.storedHeartbeat(core, "w1") == fixture.clock.now)
        }
    }

    /// A worker's workspace inventory is stored apart from its row and written only when it
    /// changes: a heartbeat that moves the load, or a finished job's counter, leaves it alone. A
    /// restart reads it back.
    @Test func theWorkspaceInventoryIsWrittenOnlyWhenItChangesAndSurvivesARestart() async throws {
        try await CoreFixture.with { fixture in
            var core = try await fixture.open()
            var report = PresenceReport(
                instance: "w1", provider: "dry-run", workspaces: ["ENG-1", "job-3"],
                workspaceUsage: ["ENG-1": WorkspaceUsage(path: "/srv/ws/ENG-1", bytes: 8192)])
            _ = try await core.dispatcher.presence(report, tenant: "default")
            // Counts the writer's writes to the inventory from here on (a trigger of its connection).
            try await core.database.write { conn in
                try conn.execute("CREATE TEMP TABLE inventory_writes (workspaces TEXT)")
                for event in ["INSERT", "UPDATE"] {
                    try conn.execute(
                        """
                        CREATE TEMP TRIGGER inventory_\(event.lowercased()) AFTER \(event) ON main.worker_inventories
                        BEGIN INSERT INTO inventory_writes VALUES (NEW.workspaces); END
                        """)
                }
            }
            func writes() async throws -> [String] {
                try await core.database.write { conn in
                    try conn.query("SELECT workspaces FROM inventory_writes ORDER BY rowid").compactMap {
                        $0.string("workspaces")
                    }
                }
            }
            fixture.clock.advance(ms: 5000)
            report.load = 1
            report.status = .busy
            _ = try await core.dispatcher.presence(report, tenant: "default")
            #expect(try core.database.readBlocking { try $0.scalar("SELECT load FROM workers")?.intValue } == 1)
            #expect(try await writes().isEmpty)

            fixture.clock.advance(ms: 5000)
            report.workspaces = ["job-3"]
            report.workspaceUsage = [:]
            _ = try await core.dispatcher.presence(report, tenant: "default")
            #expect(try await writes() == [#"["job-3"]"#])
            let stored = try core.database.readBlocking {
                try $0.queryOne("SELECT workspaces, workspace_usage FROM worker_inventories WHERE instance = 'w1'")
            }
            #expect(stored?.string("workspaces") == #"["job-3"]"# && stored?.string("workspace_usage") == "{}")

            fixture.clock.advance(ms: 5000)
            report.workspaces = ["ENG-2", "job-3"]
            report.workspaceUsage = ["ENG-2": WorkspaceUsage(bytes: 4096)]
            _ = try await core.dispatcher.presence(report, tenant: "default")
            core = try await fixture.restart(core)
            let known = try core.dispatcher.worker("w1", tenant: "default").entry.report
            #expect(known.workspaces == ["ENG-2", "job-3"] && known.workspaceUsage == report.workspaceUsage)
            #expect(known.load == 1)
        }
    }
}

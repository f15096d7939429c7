import BatonCore
import BatonHTTP
import BatonJSON
import Testing

@testable import BatonAPI

/// `/api/v1/workspaces` through the router, with workers played by their own heartbeats.
@Suite struct WorkspaceRoutesTests {
    static func presence(_ c: TestCoordinator, _ instance: String, workspaces: String) async {
        let response = await c.send(
            .put, "/presence", #"{"instance":"\#(instance)","provider":"dry-run","workspaces":\#(workspaces)}"#)
        #expect(response.status == .ok, "\(response.bodyText)")
    }

    @Test func listsEveryWorkersInventoryAndRemovesOnTheOwner() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        await Self.presence(
            c, "w1",
            workspaces:
                #"[{"name":"ENG-1","path":"/srv/ws/ENG-1","bytes":8192,"last_used":"2026-12-01T10:00:00.000Z"},"job-3"]"#
        )
        await Self.presence(c, "w2", workspaces: #"[{"name":"ENG-1","path":"/data/ENG-1","bytes":4096}]"#)
        let list = await c.request(.get, "/api/v1/workspaces").json
        #expect(list["total"] == 3 && list["bytes"] == 12288, "\(list.text)")
        let first = list["workspaces"]?.arrayValue?.first
        #expect(first?["key"] == "ENG-1" && first?["worker"] == "w1" && first?["issue"] == "ENG-1")
        #expect(first?["path"] == "/srv/ws/ENG-1" && first?["last_used"] == "2026-12-01T10:00:00.000Z")
        #expect(first?["in_use"] == false && first?["worker_online"] == true)
        #expect(list["workspaces"]?.arrayValue?[1]["issue"] == .null)  // job-3 is not an issue's

        let removing = await c.request(.delete, "/api/v1/workspaces/ENG-1")
        #expect(removing.status == .accepted && removing.json["workers"] == ["w1", "w2"], "\(removing.bodyText)")
        #expect(try c.commands("w1").contains { $0.contains("remove_workspace") && $0.contains("ENG-1") })
        #expect(try c.commands("w2").contains { $0.contains("remove_workspace") })
        // The workers' next heartbeats no longer list it: that is the "done" event.
        await Self.presence(c, "w1", workspaces: #"["job-3"]"#)
        let types = try c.eventTypes()
        #expect(types.contains("workspace.removing") && types.contains("workspace.removed"), "\(types)")
        #expect(await c.request(.get, "/api/v1/workspaces").json["total"] == 2)
    }

    @Test func refusalsChangeNothing() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        try await c.storeWebhookSecret()
        // An ad-hoc job that has not finished holds its job-<id> workspace as an issue's job does.
        let adHoc = await c.createJob(#"{"prompt":"Summarize this document","provider":"dry-run"}"#)["id"]?.intValue
        let adHocWorkspace = "job-\(try #require(adHoc))"
        await Self.presence(c, "w1", workspaces: #"["ENG-5","\#(adHocWorkspace)"]"#)
        // A job of ENG-5 that has not finished: its workspace stays.
        try await c.deliverAndTick(c.issueDelivery("ENG-5"))
        let viewer = try c.makeKey(.viewer, name: "viewer")
        for (path, key, status) in [
            ("/api/v1/workspaces/ENG-5", nil as String?, 409), ("/api/v1/workspaces/ENG-404", nil, 404),
            ("/api/v1/workspaces/ENG-5", viewer, 403), ("/api/v1/workspaces/\(adHocWorkspace)", nil, 409),
        ] {
            let before = try c.dispatchRows() + c.orchestratorRows()
            let response = await c.request(.delete, path, key: key)
            #expect(response.status.code == status, "\(path): \(response.bodyText)")
            #expect(try c.dispatchRows() + c.orchestratorRows() == before)
        }
        #expect(await c.request(.get, "/api/v1/workspaces", anonymous: true).status == .unauthorized)
        #expect(await c.request(.get, "/api/v1/workspaces").json["workspaces"]?[0]?["in_use"] == true)
    }
}

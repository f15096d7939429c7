import BatonCore
import BatonHTTP
import BatonJSON
import BatonTestSupport
import Testing

@testable import BatonAPI

/// Two tenants on one instance: `default`, the system tenant that runs it, and `other`. Every
/// probe of `other`'s keys is paired with the same probe by `default`'s keys succeeding, so each
/// test shows it could fail.
@Suite struct TenancyTests {
    /// Text only the system tenant's objects carry (job prompt, worker, template, secret, key names).
    static let objectMark = "sysmark"
    /// Text only the instance's configuration carries (provider URL, hook command, repo path and URL).
    static let configMark = "hiddenmark"
    static let password = "hidden-pass"

    struct Fixture {
        var other: [Role: String] = [:]
        var systemViewer = ""
        var jobID: Int64 = 0
        var keyID = ""
        var attemptID: Int64 = 0
    }

    /// The system tenant's objects and configuration, each named with a mark.
    static func setUp() async throws -> (TestCoordinator, Fixture) {
        let c = try await TestCoordinator.make()
        var f = Fixture()
        for role in [Role.admin, .operator, .viewer] { f.other[role] = try c.makeKey(role, tenant: "other") }
        f.systemViewer = try c.makeKey(.viewer)
        f.keyID = try c.keys.createBlocking(name: "\(objectMark)-key", role: .viewer, tenant: "default").record.id
        try await c.vault.set(tenant: "default", name: "\(objectMark)_secret", value: "v")
        let overlay = """
            {"providers":{"sysprov":{"kind":"ollama","base_url":"http://user:\(password)@127.0.0.1:9/\(configMark)","models":["m1"]}},
            "workspaces":{"hooks":{"before_run":"echo \(configMark)"}},
            "git":{"repos":[{"name":"sysrepo","path":"/tmp/\(configMark)-path","url":"https://tok:\(password)@example.invalid/\(configMark).git"}]}}
            """
        let put = await c.send(.put, "/api/v1/config/overlay", overlay)
        #expect(put.status == .ok, "\(put.bodyText)")
        #expect(
            await c.send(
                .post, "/api/v1/templates", #"{"id":"\#(objectMark)-tpl","body":"Do {{ issue.identifier }}."}"#
            )
            .status == .created)
        await c.heartbeat("\(objectMark)-worker", provider: "dry-run")
        try await c.storeWebhookSecret()
        try await c.deliverAndTick(c.issueDelivery("SYS-1", title: "\(objectMark) issue"))
        f.attemptID = await c.issueJSON("SYS-1")["attempts"]?[0]?["id"]?.intValue ?? 0
        #expect(f.attemptID > 0)
        f.jobID =
            await c.createJob(#"{"prompt":"\#(objectMark) prompt","provider":"claude"}"#)["id"]?.intValue ?? 0
        #expect(f.jobID > 0)
        return (c, f)
    }

    /// Everything the system tenant owns: its rows in every table with a tenant, every row of
    /// the tables without one (steers and worker commands, which hang off jobs and workers), and
    /// the configuration. The append-only audit and event logs are checked separately.
    static func systemState(_ c: TestCoordinator) throws -> [String] {
        var out = try c.database.readBlocking { conn in
            var out: [String] = []
            let tables = try conn.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .compactMap { $0.string("name") }
                .filter { !["events", "audit", "schema_migrations", "vault_check", "sqlite_sequence"].contains($0) }
            for table in tables {
                let columns = try conn.query("PRAGMA table_info(\(table))").compactMap { $0.string("name") }
                let rows =
                    columns.contains("tenant")
                    ? try conn.query("SELECT * FROM \(table) WHERE tenant = 'default' ORDER BY rowid")
                    : try conn.query("SELECT * FROM \(table) ORDER BY rowid")
                for row in rows {
                    out.append(table + ":" + row.columns.map { "\($0)=\(row[$0])" }.joined(separator: ","))
                }
            }
            return out
        }
        out.append("overlay:" + c.config.overlay.text)
        out.append("effective:" + c.config.effective.text)
        return out
    }

    func lastAudit(_ c: TestCoordinator) throws -> (tenant: String?, status: Int64?, action: String?) {
        try c.database.readBlocking { conn in
            let row = try conn.queryOne("SELECT tenant, status, action FROM audit ORDER BY id DESC LIMIT 1")
            return (row?.string("tenant"), row?.int("status").map(Int64.init), row?.string("action"))
        }
    }

    /// A concrete target for an operation, naming the system tenant's objects.
    static func target(_ path: String, _ f: Fixture) -> String {
        var t = path
        let values: [(String, String)] = [
            ("/api/jobs/{id}", "/api/jobs/\(f.jobID)"), ("/api/workers/{id}", "/api/workers/\(objectMark)-worker"),
            ("/api/v1/keys/{id}", "/api/v1/keys/\(f.keyID)"),
            ("/api/v1/secrets/{key}", "/api/v1/secrets/\(objectMark)_secret"),
            ("/api/v1/templates/{id}", "/api/v1/templates/\(objectMark)-tpl"),
            ("/api/v1/attempts/{aid}", "/api/v1/attempts/\(f.attemptID)"),
            ("/api/v1/workspaces/{key}", "/api/v1/workspaces/\(objectMark)-ws"),
            ("/api/v1/config/overlay/{path}", "/api/v1/config/overlay/workspaces.hooks.before_run"),
            ("/api/v1/{id}", "/api/v1/SYS-1"),
        ]
        for (pattern, value) in values where t.hasPrefix(pattern) {
            t = value + t.dropFirst(pattern.count)
            break
        }
        if t.hasSuffix("/lease") { t += "?wait_s=0" }
        return t
    }

    /// A body the operation would accept, so a refusal is about who asks, not what is sent.
    static func body(_ method: HTTPMethod, _ path: String) -> String {
        switch (method, path) {
        case (.post, "/api/jobs"), (.post, "/dispatch"): #"{"prompt":"theirs","provider":"claude"}"#
        case (.put, "/api/jobs/{id}"): #"{"priority":"high"}"#
        case (.put, "/presence"): #"{"instance":"their-worker","provider":"dry-run","capacity":1}"#
        case (.post, "/api/v1/keys"): #"{"name":"intruder","role":"admin","tenant":"default"}"#
        case (.post, "/api/v1/secrets/{key}"): #"{"value":"theirs"}"#
        case (.put, "/api/v1/config/overlay"):
            #"{"providers":{"evil":{"kind":"openai","base_url":"http://127.0.0.1:9","api_key":"$secret:openai_key"}}}"#
        case (.post, "/api/v1/templates"): #"{"id":"their-tpl","body":"Hi."}"#
        case (.put, "/api/v1/templates/{id}"): #"{"body":"Replaced."}"#
        case (.post, "/tenant/killswitch"): #"{"level":4,"reason":"probe"}"#
        case (.post, "/api/v1/{id}/transition"): #"{"to":"released"}"#
        case (.post, "/api/v1/{id}/model"): #"{"model":"m1"}"#
        case (.post, "/api/v1/{id}/steer"): #"{"message":"stop"}"#
        case (.post, "/api/v1/{id}/template"): #"{"template":"default"}"#
        case (.post, "/api/jobs/{id}/events"): #"{"token":"1.x","progress":[]}"#
        case (.post, "/api/jobs/{id}/complete"): #"{"token":"1.x","status":"completed"}"#
        default: ""
        }
    }

    static let publicPaths: Set<String> = ["/health", "/api/v1/openapi.json", "/api/docs", "/webhooks/linear"]
    static let instanceOperations: Set<String> = [
        "PUT /api/v1/config/overlay", "DELETE /api/v1/config/overlay/{path}", "GET /metrics", "POST /api/v1/refresh",
    ]
    /// Paths whose parameter names something in the caller's own namespace rather than an object
    /// of the system tenant: another tenant may keep a secret of the same name.
    static let ownNamespace: Set<String> = ["/api/v1/secrets/{key}"]

    @Test func everyOperationRefusesOrHidesTheSystemTenantFromAnotherTenant() async throws {
        let (c, f) = try await Self.setUp()
        defer { c.close() }
        // Reads first (all roles), then changes, so a change made in `other`'s own tenant (a key,
        // a secret of the same name) does not look like a leak in a later read.
        let operations = c.router.operations.filter { !Self.publicPaths.contains($0.path) }
        let ordered = operations.filter { $0.method == .get } + operations.filter { $0.method != .get }
        #expect(ordered.count >= 50, "the router lists \(ordered.count) operations")
        let before = try Self.systemState(c)
        for (method, path) in ordered {
            for role in [Role.viewer, .operator, .admin] {
                let key = f.other[role]!
                let target = Self.target(path, f)
                let response = await c.send(method, target, Self.body(method, path), key: key)
                let code = Int(response.status.code)
                let label = "\(role.rawValue) \(method.rawValue) \(target) → \(code) \(response.bodyText.prefix(200))"
                if Self.instanceOperations.contains("\(method.rawValue) \(path)") {
                    #expect(code == 403, "\(label)")
                } else if path.contains("{"), !Self.ownNamespace.contains(path) {
                    // A system object named by the caller: refused, or not found in its tenant.
                    #expect(code == 403 || code == 404 || (path.hasSuffix("/lease") && code == 204), "\(label)")
                }
                if (200..<300).contains(code) {
                    let text = response.bodyText
                    #expect(!text.contains(Self.objectMark) && !text.contains(Self.configMark), "leak: \(label)")
                    #expect(!text.contains(Self.password), "credential: \(label)")
                }
                let after = try Self.systemState(c)
                #expect(
                    after == before,
                    "changed the system tenant: \(label): \(after.filter { !before.contains($0) }) were \(before.filter { !after.contains($0) })"
                )
                // Routine worker traffic answered below 400 is not audited (SPEC §2.9).
                let routine =
                    code < 400
                    && AuditMiddleware.workerTelemetry.contains(
                        "\(method.rawValue) " + String(path.filter { $0 != "}" }.map { $0 == "{" ? ":" : $0 }))
                if method != .get, !routine {
                    let audit = try lastAudit(c)
                    #expect(audit.tenant == "other" && audit.status == Int64(code), "audit: \(label) \(audit)")
                }
            }
        }
    }

    @Test func theSameReadsBySystemTenantKeysFindTheObjects() async throws {
        let (c, f) = try await Self.setUp()
        defer { c.close() }
        // The targets name real objects: the system tenant's own viewer reads each of them.
        for (method, path) in c.router.operations where method == .get && path.contains("{") {
            let response = await c.send(.get, Self.target(path, f), key: f.systemViewer)
            #expect(response.status == .ok, "\(path): \(response.bodyText.prefix(200))")
        }
        // And its lists and configuration carry the marks the other tenant never sees.
        for path in ["/api/jobs", "/api/workers", "/api/v1/templates", "/api/v1/secrets", "/api/v1/state"] {
            #expect(await c.send(.get, path, key: f.systemViewer).bodyText.contains(Self.objectMark), "\(path)")
        }
        for path in ["/api/v1/config", "/api/v1/config/overlay", "/api/v1/git/context"] {
            let text = await c.send(.get, path, key: f.systemViewer).bodyText
            #expect(text.contains(Self.configMark), "\(path)")
            // Credentials in URLs are stripped for everyone.
            #expect(!text.contains(Self.password), "\(path): \(text)")
        }
        #expect(await c.send(.get, "/metrics", key: f.systemViewer).status == .ok)
    }

    @Test func configurationChangesNeedTheSystemTenantsAdminAndRefusalsAreAuditedInTheCallersTenant() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let otherAdmin = try c.makeKey(.admin, tenant: "other")
        let hook = #"{"workspaces":{"hooks":{"before_run":"curl http://127.0.0.1:9/steal"}}}"#
        let overlayBefore = c.config.overlay
        let refused = await c.send(.put, "/api/v1/config/overlay", hook, key: otherAdmin)
        #expect(refused.status == .forbidden && refused.json["code"] == "forbidden", "\(refused.bodyText)")
        #expect(c.config.overlay == overlayBefore)
        #expect(c.config.value("workspaces.hooks.before_run") == nil)
        #expect(try lastAudit(c) == ("other", 403, "PUT /api/v1/config/overlay"))
        // The other tenant's audit shows its refusal; the system tenant's shows nothing of it.
        let theirs = await c.send(.get, "/api/v1/audit", key: otherAdmin).json
        #expect(theirs["entries"]?[0]?["status"] == 403)
        let ours = await c.send(.get, "/api/v1/audit").json
        #expect(ours["total"] == 0, "\(ours.text)")
        // The same change by the system tenant's admin is taken (so the probe above can fail).
        #expect(await c.send(.put, "/api/v1/config/overlay", hook).status == .ok)
        #expect(c.config.value("workspaces.hooks.before_run") == "curl http://127.0.0.1:9/steal")
        let delete = await c.send(.delete, "/api/v1/config/overlay/workspaces.hooks.before_run", key: otherAdmin)
        #expect(delete.status == .forbidden)
        #expect(c.config.value("workspaces.hooks.before_run") == "curl http://127.0.0.1:9/steal")
        #expect(try lastAudit(c) == ("other", 403, "DELETE /api/v1/config/overlay/:path"))
        // The other tenant reads the tenant view: no hook commands.
        let view = await c.send(.get, "/api/v1/config", key: otherAdmin)
        #expect(view.headers["Baton-Config-View"] == "tenant")
        #expect(!view.bodyText.contains("steal") && view.json["workspaces"]?["hooks"] == nil, "\(view.bodyText)")
        #expect(view.json["agent"]?["provider"] == "dry-run")
    }

    /// The reproduction: `other`'s admin points a provider at a capture server with the system
    /// tenant's `$secret:openai_key`, and `other`'s viewer asks for a fresh model list.
    @Test func anotherTenantCannotMakeTheInstanceSendTheSystemTenantsSecrets() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let capture = FakeProvider([.json(.ok, #"{"object":"list","data":[{"id":"captured","object":"model"}]}"#)])
        let url = try capture.start()
        defer { Task { await capture.stop() } }
        try await c.vault.set(tenant: "default", name: "openai_key", value: "sk-default-secret")
        try await c.vault.set(tenant: "other", name: "openai_key", value: "sk-other-secret")
        let otherAdmin = try c.makeKey(.admin, tenant: "other")
        let otherViewer = try c.makeKey(.viewer, tenant: "other")
        let evil = #"{"providers":{"evil":{"kind":"openai","base_url":"\#(url)","api_key":"$secret:openai_key"}}}"#
        #expect(await c.send(.put, "/api/v1/config/overlay", evil, key: otherAdmin).status == .forbidden)
        let listed = await c.send(.get, "/api/v1/models?refresh=true", key: otherViewer)
        #expect(listed.status == .ok)
        #expect(capture.requests.isEmpty, "the capture server was called: \(capture.requests.map(\.headers))")

        // When the system tenant's admin configures the same provider, the instance calls it with
        // the system tenant's key — whoever asks for the list.
        #expect(await c.send(.put, "/api/v1/config/overlay", evil).status == .ok)
        let again = await c.send(.get, "/api/v1/models?refresh=true", key: otherViewer)
        #expect(again.status == .ok)
        #expect(capture.requests.first?.headers["Authorization"] == "Bearer sk-default-secret")
        #expect(!again.bodyText.contains(url) && !again.bodyText.contains("sk-"), "\(again.bodyText)")
    }

    @Test func theEventStreamAndItsReplayShowOnlyTheCallersTenant() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let (server, port) = try c.startServer()
        let otherViewer = try c.makeKey(.viewer, tenant: "other")
        let otherOperator = try c.makeKey(.operator, tenant: "other")
        // History: the system tenant's job with an agent's output, an instance event, and one of other's own.
        _ = await c.createJob(#"{"prompt":"sysmark prompt","provider":"claude"}"#)
        try await c.events.publish(
            EventDraft(type: "job.output", tenant: "default", data: #"{"text":"sysmark agent output"}"#))
        try await c.events.publish(EventDraft(type: "service.started", data: #"{"address":"hiddenmark"}"#))
        let own = await c.createJob(#"{"prompt":"theirs","provider":"claude"}"#, key: otherOperator)
        #expect(own["id"] != nil)

        func subscribe(_ key: String, lastEventID: String?) async throws -> RawConnection {
            let connection = try RawConnection(port: port)
            var request =
                "GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nAuthorization: Bearer \(key)\r\n"
            if let lastEventID { request += "Last-Event-ID: \(lastEventID)\r\n" }
            try connection.send(request + "\r\n")
            #expect(await connection.awaitText { $0.contains(": subscribed") })
            return connection
        }
        let replay = try await subscribe(otherViewer, lastEventID: "0")
        let live = try await subscribe(otherViewer, lastEventID: nil)
        let system = try await subscribe(c.adminKey, lastEventID: "0")
        // Live: more of the system tenant's, then one of other's, which both of its streams must show.
        try await c.events.publish(EventDraft(type: "job.output", tenant: "default", data: #"{"text":"sysmark live"}"#))
        try await c.events.publish(EventDraft(type: "config.changed", data: #"{"paths":["hiddenmark"]}"#))
        let last = try await c.events.publish(EventDraft(type: "job.note", tenant: "other", data: #"{"n":1}"#))
        #expect(await replay.awaitText { $0.contains("id: \(last.id)\n") })
        #expect(await live.awaitText { $0.contains("id: \(last.id)\n") })
        #expect(await system.awaitText { $0.contains("sysmark live") && $0.contains("hiddenmark") })
        for (name, connection) in [("replay", replay), ("live", live)] {
            #expect(!connection.text.contains("sysmark") && !connection.text.contains("hiddenmark"), "\(name)")
            #expect(!connection.text.contains(#""tenant":"default""#), "\(name): \(connection.text)")
            #expect(!connection.text.contains(#""tenant":null"#), "\(name): \(connection.text)")
        }
        #expect(replay.text.contains(#""tenant":"other""#) && replay.text.contains("job.created"))
        // Resuming with Last-Event-ID from the middle of the history replays no foreign event either.
        let resumed = try await subscribe(otherViewer, lastEventID: "1")
        #expect(await resumed.awaitText { $0.contains("id: \(last.id)\n") })
        #expect(!resumed.text.contains("sysmark") && !resumed.text.contains("hiddenmark"))
        // The system tenant saw its own events and the instance's (so the checks above can fail).
        #expect(system.text.contains("sysmark agent output") && system.text.contains("service.started"))
        await server.shutdown()
    }

    @Test func gitContextStripsRemoteCredentialsAndHidesRepositoriesFromOtherTenants() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let repo = c.directory + "/checkout"
        for arguments in [
            ["init", "-q", repo], ["-C", repo, "remote", "add", "origin", "https://user:s3cr3t@example.invalid/r.git"],
        ] {
            let run = try ChildProcess.run("/usr/bin/env", ["git"] + arguments)
            #expect(run.status == 0, "git \(arguments): \(run.stderr)")
        }
        let overlay =
            #"{"git":{"repos":[{"name":"r","path":"\#(repo)","url":"https://user:s3cr3t@example.invalid/r.git"}]}}"#
        #expect(await c.send(.put, "/api/v1/config/overlay", overlay).status == .ok)
        let mine = await c.request(.get, "/api/v1/git/context").json
        let entry = mine["repos"]?[0]
        #expect(entry?["remotes"]?[0]?["url"] == "https://example.invalid/r.git", "\(mine.text)")
        #expect(entry?["url"] == "https://example.invalid/r.git" && entry?["path"]?.stringValue == repo)
        #expect(!mine.text.contains("s3cr3t"))
        let theirs = await c.request(.get, "/api/v1/git/context", key: try c.makeKey(.viewer, tenant: "other")).json
        let hidden = theirs["repos"]?[0]
        #expect(hidden?["name"] == "r" && hidden?["path"] == .null && hidden?["url"] == .null, "\(theirs.text)")
        #expect(hidden?["remotes"] == [] && !theirs.text.contains("example.invalid") && !theirs.text.contains(repo))
    }
}

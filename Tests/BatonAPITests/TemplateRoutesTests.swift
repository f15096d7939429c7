import BatonCore
import BatonCrypto
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonJobs
import BatonStore
import Testing

@testable import BatonAPI

@Suite struct TemplateRoutesTests {
    @Test func createReadUpdatePreviewDelete() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let list = await c.request(.get, "/api/v1/templates").json
        #expect(list["templates"]?.arrayValue?.map { $0["id"] } == ["default"])
        let body =
            #"{"id":"triage","body":"{% for l in issue.labels %}[{{ l }}]{% endfor %} {{ issue.title }}","description":"short"}"#
        #expect(await c.send(.post, "/api/v1/templates", body).status == .created)
        #expect(await c.send(.post, "/api/v1/templates", body).status == .conflict)
        let preview = await c.send(.post, "/api/v1/templates/triage/preview")
        #expect(
            preview.json["rendered"] == "[bug][auth] Fix the login redirect loop"
                && preview.json["sample_variables"] == true)
        let given = await c.send(
            .post, "/api/v1/templates/triage/preview", #"{"variables":{"issue":{"labels":[],"title":"Given"}}}"#)
        #expect(given.json["rendered"] == " Given" && given.json["sample_variables"] == false)
        let updated = await c.send(.put, "/api/v1/templates/triage", #"{"body":"{{ issue.identifier }}"}"#)
        #expect(
            updated.status == .ok && updated.json["body"] == "{{ issue.identifier }}"
                && updated.json["description"] == "short")
        #expect(await c.request(.get, "/api/v1/templates/triage").json["body"] == "{{ issue.identifier }}")
        #expect(await c.request(.delete, "/api/v1/templates/triage").status == .noContent)
        #expect(await c.request(.get, "/api/v1/templates/triage").status == .notFound)
        // agent.template names the default one.
        #expect(await c.request(.delete, "/api/v1/templates/default").status == .conflict)
    }

    @Test func templateErrorsNameLineAndColumnAndStoreNothing() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let cases: [(String, Int, String?)] = [
            (#"{"id":"t","body":"ok\n{{ issue.titel }}"}"#, 400, "line 2, column 10"),
            (#"{"id":"t","body":"{{ issue.title | shout }}"}"#, 400, "line 1, column 18"),
            (#"{"id":"t","body":"{% if true %}"}"#, 400, "line 1, column 4"),
            (#"{"id":"t","body":""}"#, 400, nil),
            (#"{"id":"bad id","body":"x"}"#, 400, nil),
            (#"{"id":"t"}"#, 400, nil),
            (#"{"id":"t","body":"x","extra":true}"#, 400, nil),
            (#"{"id":"t","body":"\#(String(repeating: "x", count: 65_537))"}"#, 400, nil),
        ]
        for (body, status, place) in cases {
            let before = try c.orchestratorRows()
            let response = await c.send(.post, "/api/v1/templates", body)
            #expect(response.status.code == status, "\(body.prefix(60)): \(response.bodyText)")
            if let place {
                #expect(response.json["error"]?.stringValue?.contains(place) == true, "\(response.bodyText)")
            }
            #expect(try c.orchestratorRows() == before)
        }
        let wrongType = await c.request(
            .post, "/api/v1/templates", headers: ["Content-Type": "text/plain"], body: #"{"id":"t","body":"x"}"#)
        #expect(wrongType.status.code == 415)
        let viewer = try c.makeKey(.viewer, name: "viewer")
        #expect(await c.send(.post, "/api/v1/templates", #"{"id":"t","body":"x"}"#, key: viewer).status == .forbidden)
        // Given variables lie over the sample's, so a stored template lacks none of them; a known
        // variable of the wrong shape is refused, naming it.
        let partial = await c.send(.post, "/api/v1/templates/default/preview", #"{"variables":{"issue":{}}}"#)
        #expect(partial.status == .ok && partial.json["sample_variables"] == false, "\(partial.bodyText)")
        let preview = await c.send(
            .post, "/api/v1/templates/default/preview", #"{"variables":{"issue":{"title":5},"other":1}}"#)
        #expect(
            preview.status == .badRequest && preview.json["error"] == "variables.issue.title must be a string",
            "\(preview.bodyText)")
    }
}

extension TemplateRoutesTests {
    /// A draft is rendered like a stored template and nothing is stored or audited; any role may
    /// preview; a template error is a 400 naming where.
    @Test func aDraftIsRenderedByTheServerAndNothingIsStored() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let json: HTTPHeaders = ["Content-Type": "application/json"]
        let before = try c.database.readBlocking { conn in
            try conn.query("SELECT id, body FROM templates ORDER BY id").map { "\($0["id"]) \($0["body"])" }
        }
        let viewer = try c.makeKey(.viewer)
        let refused = await c.request(
            .post, "/api/v1/templates/preview", headers: json, body: #"{"body":"x"}"#, key: viewer)
        #expect(refused.status == .forbidden)
        let ok = await c.request(
            .post, "/api/v1/templates/preview", headers: json,
            body: #"{"body":"Hello {{ issue.identifier | downcase }}"}"#)
        #expect(ok.status == .ok, "\(ok.bodyText)")
        #expect(ok.json["rendered"] == "Hello eng-123" && ok.json["sample_variables"] == true)
        let given = await c.request(
            .post, "/api/v1/templates/preview", headers: json,
            body: #"{"body":"{{ issue.identifier }}","variables":{"issue":{"identifier":"OPS-9"}}}"#)
        #expect(given.json["rendered"] == "OPS-9" && given.json["sample_variables"] == false)
        for bad in [#"{"body":"{% if %}"}"#, #"{"body":""}"#, #"{}"#, #"{"body":"x","id":"y"}"#, "{"] {
            let refused = await c.request(.post, "/api/v1/templates/preview", headers: json, body: bad)
            #expect(refused.status == .badRequest, "\(bad): \(refused.bodyText)")
        }
        let after = try c.database.readBlocking { conn in
            try conn.query("SELECT id, body FROM templates ORDER BY id").map { "\($0["id"]) \($0["body"])" }
        }
        #expect(after == before)
        // Only the refused ones (the viewer's and the five bad ones) are audit entries.
        #expect(try c.auditActions().allSatisfy { $0 == "POST /api/v1/templates/preview" })
        #expect(try c.auditActions().count == 6)
    }
}

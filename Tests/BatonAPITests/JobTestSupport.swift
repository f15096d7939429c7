import BatonCore
import BatonHTTP
import BatonJSON
import BatonStore
import Testing

@testable import BatonAPI

extension HTTPResponse {
    /// The body parsed as JSON (null when it is not JSON).
    var json: JSONValue { (try? JSONParser.parse(Array(bodyText.utf8))) ?? .null }
}

extension TestCoordinator {
    static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json"]

    func send(_ method: HTTPMethod, _ target: String, _ body: String = "", key: String? = nil) async -> HTTPResponse {
        await request(method, target, headers: Self.jsonHeaders, body: body, key: key)
    }

    /// Reports presence for `instance` (claude provider, capacity 1 unless told) and expects 200.
    @discardableResult
    func heartbeat(
        _ instance: String, tags: String = "", capacity: Int = 1, provider: String = "claude", key: String? = nil,
        status: String = "idle"
    ) async -> JSONValue {
        let response = await send(
            .put, "/presence",
            #"{"instance":"\#(instance)","status":"\#(status)","tags":"\#(tags)","provider":"\#(provider)","capacity":\#(capacity)}"#,
            key: key)
        #expect(response.status == .ok, "presence for \(instance): \(response.bodyText)")
        return response.json
    }

    /// Creates a job and returns it.
    func createJob(_ body: String = #"{"prompt":"Summarize this document","provider":"claude"}"#, key: String? = nil)
        async -> JSONValue
    {
        let response = await send(.post, "/api/jobs", body, key: key)
        #expect(response.status == .created, "create: \(response.bodyText)")
        return response.json
    }

    /// Leases without waiting; nil on 204.
    func lease(_ instance: String, key: String? = nil) async -> (id: Int64, token: String)? {
        let response = await send(.post, "/api/workers/\(instance)/lease?wait_s=0", key: key)
        if response.status == .noContent { return nil }
        #expect(response.status == .ok, "lease for \(instance): \(response.bodyText)")
        guard let id = response.json["job"]?["id"]?.intValue, let token = response.json["lease"]?["token"]?.stringValue
        else { return nil }
        return (id, token)
    }

    func complete(_ id: Int64, token: String, extra: String = "", key: String? = nil) async -> HTTPResponse {
        await send(.post, "/api/jobs/\(id)/complete", #"{"token":"\#(token)"\#(extra)}"#, key: key)
    }

    func job(_ id: Int64) async -> JSONValue { await request(.get, "/api/jobs/\(id)").json }

    /// Every row of the dispatcher's tables, to show a refused request changed nothing.
    func dispatchRows() throws -> [String] {
        try database.readBlocking { conn in
            var out: [String] = []
            for table in [
                "jobs", "workers", "worker_inventories", "killswitch", "cost_ledger", "worker_commands", "job_steers",
            ] {
                for row in try conn.query("SELECT * FROM \(table) ORDER BY rowid") {
                    out.append(table + ":" + row.columns.map { "\($0)=\(row[$0])" }.joined(separator: ","))
                }
            }
            return out
        }
    }

    func eventTypes() throws -> [String] {
        try database.readBlocking { conn in
            try conn.query("SELECT type FROM events ORDER BY id").compactMap { $0.string("type") }
        }
    }
}

import BatonJSON
import BatonWorkerProtocol
import Testing

/// `PUT /presence` bodies as the coordinator reads them (moved here from BatonCoreTests with
/// the parser; the sentences are unchanged, each error now also names its field).
@Suite struct PresenceReportTests {
    func parse(_ json: String) throws(WorkerProtocolError) -> PresenceReport {
        try PresenceReport(json: try! JSONParser.parse(Array(json.utf8)))
    }

    @Test func theReferenceBodyParses() throws {
        let report = try parse(
            #"{"instance":"my-worker","status":"idle","tags":"code,draft,economy","provider":"ollama"}"#)
        #expect(report.instance == "my-worker" && report.status == .idle && report.provider == "ollama")
        #expect(report.tags == ["code", "draft", "economy"])
        #expect(report.capacity == 1)
    }

    @Test func optionalFieldsParse() throws {
        let report = try parse(
            #"{"instance":"w","providers":["claude","ollama"],"capacity":4,"load":1,"models":["a",{"name":"b","score":88,"fit":"good"}],"node_url":"http://10.0.0.2:8787","version":"0.1.0"}"#
        )
        #expect(report.provider == "claude" && report.allProviders == ["claude", "ollama"])
        #expect(report.models == [WorkerModel(name: "a"), WorkerModel(name: "b", score: 88, fit: "good")])
        let inventory = try parse(#"{"instance":"w","provider":"x","workspaces":["job-7","ENG-1"]}"#)
        #expect(inventory.workspaces == ["ENG-1", "job-7"])
        let detailed = try parse(
            #"{"instance":"w","provider":"x","workspaces":["job-7",{"name":"ENG-1","path":"/w/ENG-1","bytes":4096,"last_used":"2026-12-01T10:00:00.000Z"}]}"#
        )
        #expect(detailed.workspaces == ["ENG-1", "job-7"])
        #expect(
            detailed.workspaceUsage == [
                "ENG-1": WorkspaceUsage(path: "/w/ENG-1", bytes: 4096, lastUsed: "2026-12-01T10:00:00.000Z")
            ])
        let node = try parse(
            #"{"instance":"w","provider":"x","top_models":[{"name":"Qwen/Qwen2.5-7B","fit":"perfect","score":91.5}]}"#)
        #expect(node.topModels == [WorkerModel(name: "Qwen/Qwen2.5-7B", score: 91.5, fit: "perfect")])
        #expect(node.models.isEmpty)
    }

    /// Nulls are absent fields; tags may be an array, and repeats (tags, providers) are dropped.
    @Test func nullsAreAbsentAndRepeatsAreDropped() throws {
        let report = try parse(
            #"{"instance":"w","status":null,"provider":null,"providers":["a","b","a"],"tags":["x","y","x"],"capacity":null,"load":null,"models":null,"node_url":null,"version":null,"workspaces":null}"#
        )
        #expect(report.status == .idle && report.provider == "a" && report.providers == ["a", "b"])
        #expect(report.tags == ["x", "y"] && report.capacity == 1 && report.load == 0)
        #expect(report.nodeURL == nil && report.version == nil && report.workspaces.isEmpty)
        // A whole number written as a float is still one; the bounds are inclusive.
        #expect(try parse(#"{"instance":"w","provider":"x","capacity":1024.0,"load":1000000}"#).capacity == 1024)
    }

    @Test(arguments: [
        (#"{"status":"idle","provider":"x"}"#, "instance", "missing field \"instance\""),
        (#"{"instance":7,"provider":"x"}"#, "instance", "field \"instance\" must be a string, not integer"),
        (
            #"{"instance":"a b","provider":"x"}"#, "instance",
            "instance must be 1 to 64 letters, digits, '.', '_' or '-'"
        ),
        (
            #"{"instance":"w","status":"sleepy","provider":"x"}"#, "status",
            "status must be one of online, idle, busy, offline"
        ),
        (#"{"instance":"w"}"#, "provider", "missing field \"provider\" (or a non-empty \"providers\")"),
        (
            #"{"instance":"w","provider":"a/b"}"#, "provider",
            "provider must be 1 to 64 letters, digits, '.', '_' or '-'"
        ),
        (
            #"{"instance":"w","providers":["ok","no way"]}"#, "providers[1]",
            "providers must be an array of at most 32 provider names"
        ),
        (
            #"{"instance":"w","provider":"x","capacity":0}"#, "capacity",
            "capacity must be a whole number from 1 to 1024"
        ),
        (
            #"{"instance":"w","provider":"x","capacity":1025}"#, "capacity",
            "capacity must be a whole number from 1 to 1024"
        ),
        (
            #"{"instance":"w","provider":"x","capacity":2.5}"#, "capacity",
            "capacity must be a whole number from 1 to 1024"
        ),
        (
            #"{"instance":"w","provider":"x","capacity":1e300}"#, "capacity",
            "capacity must be a whole number from 1 to 1024"
        ),
        (
            #"{"instance":"w","provider":"x","capacity":"4"}"#, "capacity",
            "capacity must be a whole number from 1 to 1024"
        ),
        (#"{"instance":"w","provider":"x","load":-1}"#, "load", "load must be a whole number from 0 to 1000000"),
        (
            #"{"instance":"w","provider":"x","load":9223372036854775807}"#, "load",
            "load must be a whole number from 0 to 1000000"
        ),
        (
            #"{"instance":"w","provider":"x","models":[{"name":"m","score":101}]}"#, "models[0].score",
            "a model's score must be a number from 0 to 100"
        ),
        (
            #"{"instance":"w","provider":"x","top_models":{"name":"m"}}"#, "top_models",
            "top_models must be an array of at most 500 models"
        ),
        (
            #"{"instance":"w","provider":"x","top_models":[7]}"#, "top_models[0]",
            "each of top_models must be a name or an object {name, score, fit}"
        ),
        (
            #"{"instance":"w","provider":"x","top_models":[{"score":5}]}"#, "top_models[0].name",
            "each of top_models needs a \"name\" of 1 to 200 characters"
        ),
        (
            #"{"instance":"w","provider":"x","top_models":["a",{"name":"m","fit":"roomy"}]}"#, "top_models[1].fit",
            "a model's fit must be one of perfect, good, marginal, too_tight"
        ),
        (
            #"{"instance":"w","provider":"x","node_url":"ftp://x"}"#, "node_url",
            "node_url must be an http:// or https:// URL of at most 500 characters"
        ),
        (
            #"{"instance":"w","provider":"x","version":"1\n2"}"#, "version",
            "version must be 1 to 64 characters on one line"
        ),
        (
            #"{"instance":"w","provider":"x","tags":5}"#, "tags",
            "tags must be a comma-separated string such as \"code,draft,economy\""
        ),
        (#"{"instance":"w","provider":"x","tags":["a",5]}"#, "tags[1]", "tags must be a comma-separated string"),
        (
            #"{"instance":"w","provider":"x","tags":"ok,not ok"}"#, "tags",
            "tag \"not ok\" must be 1 to 64 letters, digits, '.', '_', '-' or ':'"
        ),
        (#"{"instance":"w","provider":"x","extra":1}"#, "extra", "unknown field \"extra\""),
        (
            #"{"instance":"w","provider":"x","workspaces":["../etc"]}"#, "workspaces[0]",
            "workspaces must hold directory names (1 to 200 characters, no '/', not starting with '.')"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":["ok",{"name":"ENG-1","bytes":-1}]}"#, "workspaces[1].bytes",
            "a workspace object is {name, path, bytes, last_used} with bytes a whole number from 0 to 2^53 - 1"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":[{"name":"ENG-1","bytes":9007199254740992}]}"#,
            "workspaces[0].bytes",
            "a workspace object is {name, path, bytes, last_used} with bytes a whole number from 0 to 2^53 - 1"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":[{"name":"ENG-1","last_used":5}]}"#,
            "workspaces[0].last_used",
            "a workspace object is {name, path, bytes, last_used} with bytes a whole number from 0 to 2^53 - 1"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":[{"name":"ENG-1","owner":"me"}]}"#, "workspaces[0].owner",
            "a workspace object is {name, path, bytes, last_used} with bytes a whole number from 0 to 2^53 - 1"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":[{"path":"/x"}]}"#, "workspaces[0]",
            "workspaces must hold directory names (1 to 200 characters, no '/', not starting with '.')"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":"ENG-1"}"#, "workspaces",
            "workspaces must be an array of at most 1000 workspace names"
        ),
        (#"[1]"#, "", "the body must be a JSON object"),
    ])
    func badBodiesSayWhatIsWrong(body: String, field: String, message: String) {
        #expect(throws: WorkerProtocolError(field: field, message)) { try parse(body) }
    }

    /// Lists beyond their bounds are refused, naming the list.
    @Test func oversizeListsAreRefused() {
        let cases: [(String, Int, JSONValue, String)] = [
            ("tags", 65, "t", "at most 64 tags are allowed"),
            ("providers", 33, "p", "providers must be an array of at most 32 provider names"),
            ("models", 501, "m", "models must be an array of at most 500 models"),
            ("workspaces", 1001, "w", "workspaces must be an array of at most 1000 workspace names"),
        ]
        for (field, count, item, message) in cases {
            let items = (0..<count).map { i in JSONValue.string((item.stringValue ?? "") + String(i)) }
            let json: JSONValue = .object(["instance": "w", "provider": "x", field: .array(items)])
            #expect(throws: WorkerProtocolError(field: field, message)) { try PresenceReport(json: json) }
            let fits = JSONValue.object(["instance": "w", "provider": "x", field: .array(Array(items.dropLast()))])
            #expect((try? PresenceReport(json: fits)) != nil, "\(field): \(count - 1) should fit")
        }
        let longURL = "http://" + String(repeating: "h", count: 494)
        #expect(throws: WorkerProtocolError.self) {
            try PresenceReport(json: ["instance": "w", "provider": "x", "node_url": .string(longURL)])
        }
    }

    /// What a worker sends reads back as the same report, and its body is the one the worker
    /// has always sent: tags as a comma string, nulls for an unknown version and node URL, each
    /// workspace with what is known of it.
    @Test func aWorkersReportRoundTrips() throws {
        let report = PresenceReport(
            instance: "node-1", status: .busy, tags: ["gpu", "tier:high"], provider: "dry-run",
            providers: ["dry-run", "codex"], capacity: 2, load: 1,
            topModels: [WorkerModel(name: "org/coder-7b", score: 92.5, fit: "perfect")], nodeURL: nil, version: nil,
            workspaces: ["ENG-1", "job-4"],
            workspaceUsage: [
                "ENG-1": WorkspaceUsage(path: "/w/ENG-1", bytes: 8192, lastUsed: "2026-12-01T10:00:00.000Z"),
                "job-4": WorkspaceUsage(path: "/w/job-4"),
            ])
        let json = report.json
        #expect(json["tags"] == "gpu,tier:high" && json["version"] == .null && json["node_url"] == .null)
        #expect(json["models"] == nil)
        #expect(
            json["workspaces"]
                == [
                    ["name": "ENG-1", "path": "/w/ENG-1", "bytes": 8192, "last_used": "2026-12-01T10:00:00.000Z"],
                    ["name": "job-4", "path": "/w/job-4"],
                ])
        #expect(json["top_models"] == [["name": "org/coder-7b", "score": 92.5, "fit": "perfect"]])
        #expect(try PresenceReport(json: json) == report)
        // Through text, as it travels.
        #expect(try PresenceReport(json: JSONParser.parse(json.text)) == report)
        // A workspace without usage travels as its name.
        let bare = PresenceReport(instance: "w", provider: "x", workspaces: ["a"])
        #expect(bare.json["workspaces"] == ["a"])
        #expect(try PresenceReport(json: bare.json) == bare)
    }
}

/// The heartbeat answer and its commands: it round-trips through its JSON, and malformed input is
/// refused naming the field.
@Suite struct PresenceAnswerTests {
    @Test func aPresenceAnswerRoundTrips() throws {
        let answer = PresenceAnswer(
            worker: ["instance": "w1", "online": true], heartbeatIntervalS: 10, staleAfterS: 30,
            commands: [.cancelJob(7), .removeWorkspace("ENG-1"), .other(["kind": "reboot", "when": "now"])])
        #expect(
            answer.json["commands"]
                == [
                    ["kind": "cancel_job", "job": 7], ["kind": "remove_workspace", "workspace": "ENG-1"],
                    ["kind": "reboot", "when": "now"],
                ])
        #expect(try PresenceAnswer(json: json(answer.json.text)) == answer)
    }

    @Test(arguments: [
        (#"{"heartbeat_interval_s":10,"stale_after_s":30,"commands":[]}"#, "worker", "missing field \"worker\""),
        (
            #"{"worker":[],"heartbeat_interval_s":10,"stale_after_s":30,"commands":[]}"#, "worker",
            "field \"worker\" must be an object, not array"
        ),
        (
            #"{"worker":{},"heartbeat_interval_s":0,"stale_after_s":30,"commands":[]}"#, "heartbeat_interval_s",
            "heartbeat_interval_s must be a whole number of at least 1"
        ),
        (
            #"{"worker":{},"heartbeat_interval_s":1.5,"stale_after_s":30,"commands":[]}"#, "heartbeat_interval_s",
            "heartbeat_interval_s must be a whole number of at least 1"
        ),
        (
            #"{"worker":{},"heartbeat_interval_s":10,"commands":[]}"#, "stale_after_s",
            "missing field \"stale_after_s\""
        ),
        (
            #"{"worker":{},"heartbeat_interval_s":10,"stale_after_s":30,"commands":{}}"#, "commands",
            "field \"commands\" must be an array, not object"
        ),
        (
            #"{"worker":{},"heartbeat_interval_s":10,"stale_after_s":30,"commands":[{"kind":"cancel_job","job":"7"}]}"#,
            "commands[0].job", "commands[0].job must be a job id"
        ),
        (
            #"{"worker":{},"heartbeat_interval_s":10,"stale_after_s":30,"commands":[{"kind":"cancel_job"}]}"#,
            "commands[0].job", "missing field \"commands[0].job\""
        ),
        (
            #"{"worker":{},"heartbeat_interval_s":10,"stale_after_s":30,"commands":[{"kind":"remove_workspace","workspace":3}]}"#,
            "commands[0].workspace", "field \"commands[0].workspace\" must be a string, not integer"
        ),
        (
            #"{"worker":{},"heartbeat_interval_s":10,"stale_after_s":30,"commands":[{"job":1}]}"#, "commands[0].kind",
            "missing field \"commands[0].kind\""
        ),
        (
            #"{"worker":{},"heartbeat_interval_s":10,"stale_after_s":30,"commands":["cancel_job"]}"#, "commands[0]",
            "commands[0] must be a JSON object, not string"
        ),
    ])
    func badPresenceAnswers(text: String, field: String, message: String) {
        #expect(throws: WorkerProtocolError(field: field, message)) { try PresenceAnswer(json: json(text)) }
    }

    /// An answer's fields a worker does not know are ignored (a newer coordinator may add some).
    @Test func answersIgnoreNewFields() throws {
        let answer = try PresenceAnswer(
            json: json(
                #"{"worker":{},"heartbeat_interval_s":10,"stale_after_s":30,"commands":[],"motd":"hello"}"#))
        #expect(answer.commands.isEmpty && answer.heartbeatIntervalS == 10)
    }
}

import BatonJSON
import Testing

@testable import BatonCore
@testable import BatonJobs

@Suite struct JobSpecTests {
    func parse(_ json: String, max: Int = 1000) throws(JobInputError) -> JobSpec {
        let value = try! JSONParser.parse(Array(json.utf8))
        return try JobSpec.parse(value.objectValue!, defaultProvider: "dry-run", maxPromptBytes: max)
    }

    @Test func theReferenceBodyParses() throws {
        let spec = try parse(
            #"{"prompt":"Summarize this document","input":"...","provider":"claude","model":"haiku","priority":"normal","tier":"medium","tags":["summarize"]}"#
        )
        #expect(
            spec
                == JobSpec(
                    prompt: "Summarize this document", input: "...", provider: "claude", model: "haiku",
                    tags: ["summarize"]))
    }

    @Test func defaultsFillTheRest() throws {
        let spec = try parse(#"{"prompt":"hi"}"#)
        #expect(spec.provider == "dry-run" && spec.priority == .normal && spec.tier == .medium && spec.tags.isEmpty)
    }

    @Test(arguments: [
        (#"{}"#, "missing field \"prompt\""),
        (#"{"prompt":"  \n"}"#, "the prompt is empty"),
        (#"{"prompt":5}"#, "field \"prompt\" must be a string, not integer"),
        (#"{"prompt":"x","priority":"urgent"}"#, "priority must be one of low, normal, high"),
        (#"{"prompt":"x","tier":"huge"}"#, "tier must be one of low, medium, high"),
        (#"{"prompt":"x","tags":"a,b"}"#, "tags must be an array of strings"),
        (#"{"prompt":"x","tags":["a","a"]}"#, "tag \"a\" is repeated"),
        (
            #"{"prompt":"x","tags":["has space"]}"#,
            "tag \"has space\" must be 1 to 64 letters, digits, '.', '_', '-' or ':'"
        ),
        (#"{"prompt":"x","provider":"../etc"}"#, "provider must be 1 to 64 letters, digits, '.', '_' or '-'"),
        (#"{"prompt":"x","colour":"red"}"#, "unknown field \"colour\""),
    ])
    func badBodiesSayWhatIsWrong(body: String, message: String) {
        #expect(throws: JobInputError(message)) { try parse(body) }
    }

    @Test func promptAndInputAreBoundedTogether() {
        #expect(throws: JobInputError("prompt and input are 12 bytes; the limit is 10 (jobs.max_prompt_bytes)")) {
            try parse(#"{"prompt":"123456","input":"789012"}"#, max: 10)
        }
    }

    @Test func tooManyTags() {
        let tags = (0...32).map { "\"t\($0)\"" }.joined(separator: ",")
        #expect(throws: JobInputError("at most 32 tags are allowed")) {
            try parse("{\"prompt\":\"x\",\"tags\":[\(tags)]}")
        }
    }
}

@Suite struct PresenceReportTests {
    func parse(_ json: String) throws(JobInputError) -> PresenceReport {
        try PresenceReport.parse(try! JSONParser.parse(Array(json.utf8)).objectValue!)
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

    @Test(arguments: [
        (#"{"status":"idle","provider":"x"}"#, "missing field \"instance\""),
        (#"{"instance":"a b","provider":"x"}"#, "instance must be 1 to 64 letters, digits, '.', '_' or '-'"),
        (#"{"instance":"w","status":"sleepy","provider":"x"}"#, "status must be one of online, idle, busy, offline"),
        (#"{"instance":"w"}"#, "missing field \"provider\" (or a non-empty \"providers\")"),
        (#"{"instance":"w","provider":"x","capacity":0}"#, "capacity must be a whole number from 1 to 1024"),
        (
            #"{"instance":"w","provider":"x","models":[{"name":"m","score":101}]}"#,
            "a model's score must be a number from 0 to 100"
        ),
        (
            #"{"instance":"w","provider":"x","top_models":{"name":"m"}}"#,
            "top_models must be an array of at most 500 models"
        ),
        (
            #"{"instance":"w","provider":"x","top_models":[7]}"#,
            "each of top_models must be a name or an object {name, score, fit}"
        ),
        (
            #"{"instance":"w","provider":"x","top_models":[{"score":5}]}"#,
            "each of top_models needs a \"name\" of 1 to 200 characters"
        ),
        (
            #"{"instance":"w","provider":"x","top_models":[{"name":"m","fit":"roomy"}]}"#,
            "a model's fit must be one of perfect, good, marginal, too_tight"
        ),
        (
            #"{"instance":"w","provider":"x","node_url":"ftp://x"}"#,
            "node_url must be an http:// or https:// URL of at most 500 bytes"
        ),
        (
            #"{"instance":"w","provider":"x","tags":5}"#,
            "tags must be a comma-separated string such as \"code,draft,economy\""
        ),
        (#"{"instance":"w","provider":"x","extra":1}"#, "unknown field \"extra\""),
        (
            #"{"instance":"w","provider":"x","workspaces":["../etc"]}"#,
            "workspaces must hold directory names (1 to 200 bytes, no '/', not starting with '.')"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":[{"name":"ENG-1","bytes":-1}]}"#,
            "a workspace object is {name, path, bytes, last_used} with bytes a whole number of 0 or more"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":[{"name":"ENG-1","last_used":5}]}"#,
            "a workspace object is {name, path, bytes, last_used} with bytes a whole number of 0 or more"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":[{"name":"ENG-1","owner":"me"}]}"#,
            "a workspace object is {name, path, bytes, last_used} with bytes a whole number of 0 or more"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":[{"path":"/x"}]}"#,
            "workspaces must hold directory names (1 to 200 bytes, no '/', not starting with '.')"
        ),
        (
            #"{"instance":"w","provider":"x","workspaces":"ENG-1"}"#,
            "workspaces must be an array of at most 1000 workspace names"
        ),
    ])
    func badBodiesSayWhatIsWrong(body: String, message: String) {
        #expect(throws: JobInputError(message)) { try parse(body) }
    }
}

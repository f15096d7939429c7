import BatonJSON
import BatonWorkerProtocol
import Testing

/// The lease, events and complete messages and the heartbeat answer: each round-trips through
/// its JSON, and malformed, oversize or out-of-range input is refused naming the field.
@Suite struct WorkerMessagesTests {
    static func json(_ text: String) -> JSONValue { try! JSONParser.parse(text) }

    // MARK: Presence answer and commands

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
        #expect(try PresenceAnswer(json: Self.json(answer.json.text)) == answer)
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
        #expect(throws: WorkerProtocolError(field: field, message)) { try PresenceAnswer(json: Self.json(text)) }
    }

    /// An answer's fields a worker does not know are ignored (a newer coordinator may add some).
    @Test func answersIgnoreNewFields() throws {
        let answer = try PresenceAnswer(
            json: Self.json(
                #"{"worker":{},"heartbeat_interval_s":10,"stale_after_s":30,"commands":[],"motd":"hello"}"#))
        #expect(answer.commands.isEmpty && answer.heartbeatIntervalS == 10)
    }

    // MARK: Lease

    @Test func theLeaseWaitIsTheQuery() throws {
        #expect(try LeaseRequest(waitS: nil).waitS == 30)
        #expect(try LeaseRequest(waitS: "0").waitS == 0 && LeaseRequest(waitS: 25).query == "wait_s=25")
        #expect(
            try LeaseRequest(waitS: LeaseRequest(waitS: 12).query.dropFirst("wait_s=".count).description).waitS == 12)
        for bad in ["31", "-1", "", "1.5", "ten", "99999999999999999999"] {
            #expect(throws: WorkerProtocolError(field: "wait_s", "wait_s must be a whole number from 0 to 30")) {
                try LeaseRequest(waitS: bad)
            }
        }
    }

    @Test func aLeaseAnswerRoundTripsWithTheWholeJob() throws {
        let text = #"""
            {"job":{"id":42,"attempt":2,"prompt":"fix it","input":null,"provider":"codex","model":"gpt-5","issue":"ENG-7",
            "context":{"git_url":"https://example.com/r.git","git_branch":"baton/ENG-7"},"status":"running",
            "tags":["code"],"routing":{"worker":"w1","score":91.5},"tokens":{"input":0,"output":0}},
            "lease":{"token":"2.0123456789abcdef0123456789abcdef","expires_at":"2026-12-01T10:00:05.000Z"}}
            """#
        let answer = try LeaseAnswer(json: Self.json(text))
        #expect(answer.job.id == 42 && answer.job.attempt == 2 && answer.job.prompt == "fix it")
        #expect(answer.job.input == nil && answer.job.provider == "codex" && answer.job.model == "gpt-5")
        #expect(answer.job.issue == "ENG-7" && answer.job.contextEntries["git_branch"] == "baton/ENG-7")
        #expect(
            answer.lease
                == LeaseGrant(token: "2.0123456789abcdef0123456789abcdef", expiresAt: "2026-12-01T10:00:05.000Z"))
        // The job's other fields travel on unread, and the answer reads as it came.
        #expect(answer.job.otherFields["routing"]?["score"] == 91.5)
        #expect(answer.json == Self.json(text))
        #expect(try LeaseAnswer(json: answer.json) == answer)
        // A job without context says null, and reads back as none.
        let plain = LeaseAnswer(
            job: LeasedJob(id: 1, prompt: "p", provider: "dry-run"),
            lease: LeaseGrant(token: "1.x", expiresAt: "2026-12-01T10:00:05.000Z"))
        #expect(plain.json["job"]?["context"] == .null && plain.json["job"]?["attempt"] == 1)
        #expect(try LeaseAnswer(json: plain.json) == plain)
    }

    @Test(arguments: [
        (#"{"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z"}}"#, "job", "missing field \"job\""),
        (
            #"{"job":{"attempt":1,"prompt":"p","provider":"x"},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z"}}"#,
            "job.id", "missing field \"job.id\""
        ),
        (
            #"{"job":{"id":0,"attempt":1,"prompt":"p","provider":"x"},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z"}}"#,
            "job.id", "job.id must be a job id (a whole number ≥ 1)"
        ),
        (
            #"{"job":{"id":1e19,"attempt":1,"prompt":"p","provider":"x"},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z"}}"#,
            "job.id", "job.id must be a job id (a whole number ≥ 1)"
        ),
        (
            #"{"job":{"id":1,"attempt":3000000000,"prompt":"p","provider":"x"},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z"}}"#,
            "job.attempt", "job.attempt must be a whole number of at least 1"
        ),
        (
            #"{"job":{"id":1,"attempt":1,"provider":"x"},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z"}}"#,
            "job.prompt", "missing field \"job.prompt\""
        ),
        (
            #"{"job":{"id":1,"attempt":1,"prompt":"p","provider":""},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z"}}"#,
            "job.provider", "job.provider must not be empty"
        ),
        (
            #"{"job":{"id":1,"attempt":1,"prompt":"p","provider":"x","model":5},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z"}}"#,
            "job.model", "field \"job.model\" must be a string, not integer"
        ),
        (
            #"{"job":{"id":1,"attempt":1,"prompt":"p","provider":"x","context":{"git_url":7}},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z"}}"#,
            "job.context.git_url", "field \"job.context.git_url\" must be a string, not integer"
        ),
        (
            #"{"job":{"id":1,"attempt":1,"prompt":"p","provider":"x","context":"git"},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z"}}"#,
            "job.context", "job.context must be a JSON object, not string"
        ),
        (
            #"{"job":{"id":1,"attempt":1,"prompt":"p","provider":"x"},"lease":{"token":"","expires_at":"2026-12-01T10:00:05.000Z"}}"#,
            "lease.token", "lease.token must not be empty"
        ),
        (
            #"{"job":{"id":1,"attempt":1,"prompt":"p","provider":"x"},"lease":{"token":"t","expires_at":"tomorrow"}}"#,
            "lease.expires_at", "lease.expires_at must be a timestamp such as 2026-12-01T10:00:00.000Z"
        ),
        (
            #"{"job":{"id":1,"attempt":1,"prompt":"p","provider":"x"},"lease":null}"#, "lease",
            "lease must be a JSON object, not null"
        ),
    ])
    func badLeaseAnswers(text: String, field: String, message: String) {
        #expect(throws: WorkerProtocolError(field: field, message)) { try LeaseAnswer(json: Self.json(text)) }
    }

    // MARK: Progress

    @Test func aProgressReportRoundTrips() throws {
        let report = ProgressReport(
            token: "1.t", progress: ["turn": 2, "commands": ["make"]], tokensInput: 10, tokensOutput: 4)
        #expect(
            report.json
                == Self.json(
                    #"{"token":"1.t","progress":{"turn":2,"commands":["make"]},"tokens":{"input":10,"output":4}}"#))
        #expect(try ProgressReport(json: report.json) == report)
        // A quiet report carries neither progress nor tokens (SPEC §7.4).
        let quiet = ProgressReport(token: "1.t")
        #expect(quiet.isQuiet && quiet.json == ["token": "1.t"])
        #expect(try ProgressReport(json: Self.json(#"{"token":"1.t","progress":null,"tokens":null}"#)) == quiet)
        // One total alone is kept alone.
        let half = try ProgressReport(json: Self.json(#"{"token":"1.t","tokens":{"output":3}}"#))
        #expect(half.tokensInput == nil && half.tokensOutput == 3 && half.json["tokens"] == ["output": 3])
        // At the limit, progress is taken.
        let big = JSONValue.string(String(repeating: "x", count: ProgressReport.maxProgressBytes - 2))
        #expect(try ProgressReport(json: ["token": "t", "progress": big]).progress == big)
    }

    @Test(arguments: [
        (#"{}"#, "token", "missing field \"token\""),
        (#"{"token":5}"#, "token", "field \"token\" must be a string, not integer"),
        (#"{"token":null}"#, "token", "field \"token\" must be a string, not null"),
        (#"{"token":"t","extra":1}"#, "extra", "unknown field \"extra\""),
        (#"{"token":"t","tokens":{"input":-1}}"#, "tokens.input", "tokens.input must be a whole number from 0 to 2^53 - 1"),
        (
            #"{"token":"t","tokens":{"output":1.5}}"#, "tokens.output",
            "tokens.output must be a whole number from 0 to 2^53 - 1"
        ),
        (
            #"{"token":"t","tokens":{"input":1e30}}"#, "tokens.input",
            "tokens.input must be a whole number from 0 to 2^53 - 1"
        ),
        (
            #"{"token":"t","tokens":{"input":1,"cached":2}}"#, "tokens",
            "tokens must be an object {\"input\": n, \"output\": n}"
        ),
        (#"{"token":"t","tokens":[1,2]}"#, "tokens", "tokens must be an object {\"input\": n, \"output\": n}"),
        (#"[]"#, "", "the body must be a JSON object"),
    ])
    func badProgressReports(text: String, field: String, message: String) {
        #expect(throws: WorkerProtocolError(field: field, message)) { try ProgressReport(json: Self.json(text)) }
    }

    @Test func oversizeProgressIsRefused() {
        let big = JSONValue.string(String(repeating: "x", count: ProgressReport.maxProgressBytes - 1))
        #expect(throws: WorkerProtocolError(field: "progress", "progress must be at most 16384 bytes of JSON")) {
            try ProgressReport(json: ["token": "t", "progress": big])
        }
    }

    @Test func aProgressAnswerRoundTrips() throws {
        let answer = ProgressAnswer(
            cancel: false, steer: [SteerMessage(id: 3, message: "use staging", createdAt: "2026-12-01T10:00:00.000Z")],
            lease: LeaseGrant(token: "1.t", expiresAt: "2026-12-01T10:00:30.000Z"))
        #expect(try ProgressAnswer(json: Self.json(answer.json.text)) == answer)
        let cancelled = ProgressAnswer(cancel: true, lease: nil)
        #expect(cancelled.json == Self.json(#"{"cancel":true,"steer":[],"lease":null}"#))
        #expect(try ProgressAnswer(json: cancelled.json) == cancelled)
    }

    @Test(arguments: [
        (#"{"steer":[],"lease":null}"#, "cancel", "missing field \"cancel\""),
        (#"{"cancel":"no","steer":[],"lease":null}"#, "cancel", "field \"cancel\" must be true or false, not string"),
        (#"{"cancel":false,"lease":null}"#, "steer", "missing field \"steer\""),
        (#"{"cancel":false,"steer":[]}"#, "lease", "missing field \"lease\""),
        (
            #"{"cancel":false,"steer":[{"id":1,"message":"m","created_at":"now"}],"lease":null}"#,
            "steer[0].created_at",
            "steer[0].created_at must be a timestamp such as 2026-12-01T10:00:00.000Z"
        ),
        (
            #"{"cancel":false,"steer":[{"id":1,"created_at":"2026-12-01T10:00:00.000Z"}],"lease":null}"#,
            "steer[0].message", "missing field \"steer[0].message\""
        ),
        (
            #"{"cancel":false,"steer":[{"id":-1,"message":"m","created_at":"2026-12-01T10:00:00.000Z"}],"lease":null}"#,
            "steer[0].id", "steer[0].id must be a whole number ≥ 1"
        ),
        (
            #"{"cancel":false,"steer":[],"lease":{"token":"t"}}"#, "lease.expires_at",
            "missing field \"lease.expires_at\""
        ),
    ])
    func badProgressAnswers(text: String, field: String, message: String) {
        #expect(throws: WorkerProtocolError(field: field, message)) { try ProgressAnswer(json: Self.json(text)) }
    }

    // MARK: Completion

    @Test func theCompletionStatusIsData() {
        #expect(CompletionStatus.allCases.map(\.rawValue) == ["completed", "failed", "needs_input"])
        #expect(CompletionStatus.completed.succeeded && !CompletionStatus.failed.succeeded)
        #expect(!CompletionStatus.needsInput.succeeded)
    }

    @Test func aCompletionRoundTrips() throws {
        let report = CompletionReport(
            token: "1.t", status: .needsInput, result: "half done", error: "which branch?", tokensInput: 100,
            tokensOutput: 20, costUSD: 0.25, modelUsed: "claude-sonnet-5-5",
            report: ["agent": "claude-code", "commands": ["make test"]])
        #expect(report.json["status"] == "needs_input" && report.json["tokens"] == ["input": 100, "output": 20])
        #expect(try CompletionReport(json: Self.json(report.json.text)) == report)
        // The least a worker sends: token and status; the status defaults to completed.
        let bare = CompletionReport(token: "1.t")
        #expect(bare.json == ["token": "1.t", "status": "completed"])
        #expect(try CompletionReport(json: ["token": "1.t"]) == bare)
        #expect(try CompletionReport(json: ["token": "1.t", "cost_usd": .null, "report": .null]) == bare)
    }

    @Test(arguments: [
        (#"{"status":"completed"}"#, "token", "missing field \"token\""),
        (#"{"token":"t","status":"done"}"#, "status", "status must be completed, failed or needs_input"),
        (#"{"token":"t","status":null}"#, "status", "field \"status\" must be a string, not null"),
        (#"{"token":"t","result":null}"#, "result", "field \"result\" must be a string, not null"),
        (#"{"token":"t","error":7}"#, "error", "field \"error\" must be a string, not integer"),
        (#"{"token":"t","cost_usd":-1}"#, "cost_usd", "cost_usd must be a number of at least 0"),
        (#"{"token":"t","cost_usd":"1"}"#, "cost_usd", "cost_usd must be a number of at least 0"),
        (#"{"token":"t","model_used":""}"#, "model_used", "model_used must be a model name of 1 to 256 bytes"),
        (#"{"token":"t","model_used":7}"#, "model_used", "field \"model_used\" must be a string, not integer"),
        (#"{"token":"t","report":[1]}"#, "report", "report must be a JSON object"),
        (#"{"token":"t","report":"did things"}"#, "report", "report must be a JSON object"),
        (#"{"token":"t","tokens":{"input":-5}}"#, "tokens.input", "tokens.input must be a whole number from 0 to 2^53 - 1"),
        (#"{"token":"t","worker":"w1"}"#, "worker", "unknown field \"worker\""),
    ])
    func badCompletions(text: String, field: String, message: String) {
        #expect(throws: WorkerProtocolError(field: field, message)) { try CompletionReport(json: Self.json(text)) }
    }

    @Test func oversizeCompletionFieldsAreRefused() {
        let model = String(repeating: "m", count: CompletionReport.maxModelUsedBytes)
        #expect((try? CompletionReport(json: ["token": "t", "model_used": .string(model)]))?.modelUsed == model)
        #expect(throws: WorkerProtocolError(field: "model_used", "model_used must be a model name of 1 to 256 bytes")) {
            try CompletionReport(json: ["token": "t", "model_used": .string(model + "m")])
        }
        let report: JSONValue = ["commands": [.string(String(repeating: "x", count: 70_000))]]
        #expect(throws: WorkerProtocolError(field: "report", "report must be at most 65536 bytes of JSON")) {
            try CompletionReport(json: ["token": "t", "report": report])
        }
        // Infinity cannot be written in JSON, but a value built in code is checked the same way
        // the coordinator checks one read from the wire.
        #expect(throws: WorkerProtocolError.self) {
            try CompletionReport(json: ["token": "t", "cost_usd": .double(.infinity)])
        }
    }
}

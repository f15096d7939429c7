import BatonJSON
import BatonWorkerProtocol
import Testing

/// The events report and its answer: each round-trips through its JSON, and malformed, oversize
/// or out-of-range input is refused naming the field.
@Suite struct ProgressTests {
    @Test func aProgressReportRoundTrips() throws {
        let report = ProgressReport(
            token: "1.t", progress: ["turn": 2, "commands": ["make"]], tokensInput: 10, tokensOutput: 4)
        #expect(
            report.json
                == json(
                    #"{"token":"1.t","progress":{"turn":2,"commands":["make"]},"tokens":{"input":10,"output":4}}"#))
        #expect(try ProgressReport(json: report.json) == report)
        // A quiet report carries neither progress nor tokens (SPEC §7.4).
        let quiet = ProgressReport(token: "1.t")
        #expect(quiet.isQuiet && quiet.json == ["token": "1.t"])
        #expect(try ProgressReport(json: json(#"{"token":"1.t","progress":null,"tokens":null}"#)) == quiet)
        // One total alone is kept alone.
        let half = try ProgressReport(json: json(#"{"token":"1.t","tokens":{"output":3}}"#))
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
        #expect(throws: WorkerProtocolError(field: field, message)) { try ProgressReport(json: json(text)) }
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
        #expect(try ProgressAnswer(json: json(answer.json.text)) == answer)
        let cancelled = ProgressAnswer(cancel: true, lease: nil)
        #expect(cancelled.json == json(#"{"cancel":true,"steer":[],"lease":null}"#))
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
        #expect(throws: WorkerProtocolError(field: field, message)) { try ProgressAnswer(json: json(text)) }
    }
}

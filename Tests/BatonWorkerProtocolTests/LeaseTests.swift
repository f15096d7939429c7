import BatonJSON
import BatonWorkerProtocol
import Testing

/// The lease request and answer: each round-trips through its JSON, and malformed, oversize or
/// out-of-range input is refused naming the field.
@Suite struct LeaseTests {
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
        let answer = try LeaseAnswer(json: json(text))
        #expect(answer.job.id == 42 && answer.job.attempt == 2 && answer.job.prompt == "fix it")
        #expect(answer.job.input == nil && answer.job.provider == "codex" && answer.job.model == "gpt-5")
        #expect(answer.job.issue == "ENG-7" && answer.job.contextEntries["git_branch"] == "baton/ENG-7")
        #expect(
            answer.lease
                == LeaseGrant(token: "2.0123456789abcdef0123456789abcdef", expiresAt: "2026-12-01T10:00:05.000Z"))
        // The job's other fields travel on unread, and the answer reads as it came.
        #expect(answer.job.otherFields["routing"]?["score"] == 91.5)
        #expect(answer.json == json(text))
        #expect(try LeaseAnswer(json: answer.json) == answer)
        // A job without context says null, and reads back as none.
        let plain = LeaseAnswer(
            job: LeasedJob(id: 1, prompt: "p", provider: "dry-run"),
            lease: LeaseGrant(token: "1.x", expiresAt: "2026-12-01T10:00:05.000Z"))
        #expect(plain.json["job"]?["context"] == .null && plain.json["job"]?["attempt"] == 1)
        #expect(try LeaseAnswer(json: plain.json) == plain)
        // How long the lease lasts travels when the coordinator says it, and is none otherwise.
        let timed = try LeaseGrant(
            json: json(#"{"token":"1.x","expires_at":"2026-12-01T10:00:05.000Z","expires_in_ms":30000}"#))
        #expect(timed.expiresInMs == 30_000 && timed.json["expires_in_ms"] == 30_000)
        #expect(try LeaseGrant(json: timed.json) == timed)
        #expect(plain.lease.expiresInMs == nil && plain.json["lease"]?["expires_in_ms"] == nil)
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
        (
            #"{"job":{"id":1,"attempt":1,"prompt":"p","provider":"x"},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z","expires_in_ms":-1}}"#,
            "lease.expires_in_ms", "lease.expires_in_ms must be a whole number of milliseconds from 0 to 2^53 - 1"
        ),
        (
            #"{"job":{"id":1,"attempt":1,"prompt":"p","provider":"x"},"lease":{"token":"t","expires_at":"2026-12-01T10:00:05.000Z","expires_in_ms":"30s"}}"#,
            "lease.expires_in_ms", "lease.expires_in_ms must be a whole number of milliseconds from 0 to 2^53 - 1"
        ),
    ])
    func badLeaseAnswers(text: String, field: String, message: String) {
        #expect(throws: WorkerProtocolError(field: field, message)) { try LeaseAnswer(json: json(text)) }
    }
}

import BatonJSON
import BatonWorkerProtocol
import Testing

/// The completion report: it round-trips through its JSON, and malformed, oversize or
/// out-of-range input is refused naming the field.
@Suite struct CompletionTests {
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
        #expect(try CompletionReport(json: json(report.json.text)) == report)
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
        (#"{"token":"t","cost_usd":-1}"#, "cost_usd", "cost_usd must be a number from 0 to 1000000"),
        (#"{"token":"t","cost_usd":"1"}"#, "cost_usd", "cost_usd must be a number from 0 to 1000000"),
        (#"{"token":"t","cost_usd":1e300}"#, "cost_usd", "cost_usd must be a number from 0 to 1000000"),
        (#"{"token":"t","model_used":""}"#, "model_used", "model_used must be a model name of 1 to 256 characters"),
        (#"{"token":"t","model_used":7}"#, "model_used", "field \"model_used\" must be a string, not integer"),
        (#"{"token":"t","report":[1]}"#, "report", "report must be a JSON object"),
        (#"{"token":"t","report":"did things"}"#, "report", "report must be a JSON object"),
        (
            #"{"token":"t","tokens":{"input":-5}}"#, "tokens.input",
            "tokens.input must be a whole number from 0 to 2^53 - 1"
        ),
        (#"{"token":"t","worker":"w1"}"#, "worker", "unknown field \"worker\""),
    ])
    func badCompletions(text: String, field: String, message: String) {
        #expect(throws: WorkerProtocolError(field: field, message)) { try CompletionReport(json: json(text)) }
    }

    @Test func oversizeCompletionFieldsAreRefused() {
        let model = String(repeating: "m", count: CompletionReport.maxModelUsedLength)
        #expect((try? CompletionReport(json: ["token": "t", "model_used": .string(model)]))?.modelUsed == model)
        #expect(
            throws: WorkerProtocolError(field: "model_used", "model_used must be a model name of 1 to 256 characters")
        ) {
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

import BatonJSON
import Testing

@testable import BatonCore
@testable import BatonJobs

@Suite struct JobTests {
    static func jobs() -> [Job] {
        let bare = Job(
            new: JobSpec(prompt: "p", provider: "claude"), id: 1, tenant: "t", at: "2026-12-01T00:00:00.000Z",
            worker: nil, routing: nil)
        var full = Job(
            new: JobSpec(
                prompt: "Summarise \"this\"\n\u{01} é 🚀", input: "in", provider: "ollama", model: "haiku",
                priority: .high, tier: .low, tags: ["a", "b\\c"], issue: "ENG-7"),
            id: 9_007_199_254_740_993, tenant: "acme", at: "t0", worker: "gpu-1",
            routing: #"{"worker":"gpu-1","score":81.5}"#)
        full.status = .completed
        full.attempt = 3
        full.startedAt = "t1"
        full.finishedAt = "t2"
        full.result = "done\u{2028}"
        full.error = "none"
        full.progress = #"{"turn":2}"#
        full.tokensInput = 1200
        full.tokensOutput = 340
        full.costUSD = 0.0125
        full.cancelRequested = true
        var whole = full
        whole.costUSD = 2
        whole.tags = []
        return [bare, full, whole]
    }

    /// The hand-written API form must stay exactly what the generic serialiser makes of the fields.
    @Test func jsonTextMatchesTheGenericSerialiser() throws {
        for job in Self.jobs() {
            #expect(job.jsonText == job.jsonObject.text)
            let parsed = try JSONParser.parse(job.jsonText)
            #expect(parsed["id"]?.intValue == job.id)
            #expect(parsed["routing"] == (job.routing == nil ? .null : try JSONParser.parse(job.routing!)))
        }
    }

    @Test func theLeaseTokenIsNeverShown() {
        var job = Self.jobs()[1]
        job.leaseToken = "secret-token"
        #expect(!job.jsonText.contains("secret-token"))
        #expect(!job.jsonText.contains("lease"))
    }
}

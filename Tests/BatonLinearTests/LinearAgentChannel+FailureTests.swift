import BatonIssues
import Testing

@testable import BatonLinear

/// What the activity sender learns from Linear's answers (SPEC §9.15).
@Suite struct LinearAgentChannelFailureTests {
    @Test func aRateLimitIsNotATryAndWaitsForItsReset() {
        #expect(LinearError.rateLimited(resetAtMs: 1_765_000_000_000).rateLimitedUntilMs == .some(1_765_000_000_000))
        #expect(LinearError.rateLimited(resetAtMs: nil).rateLimitedUntilMs == .some(nil))
        #expect(LinearError.http(500, "busy").rateLimitedUntilMs == nil)
        #expect(!LinearError.rateLimited(resetAtMs: nil).isPermanent)
    }

    @Test func onlyAnswersARetryCannotChangeArePermanent() {
        #expect(LinearError.http(400, "bad request").isPermanent)
        #expect(LinearError.http(404, "not found").isPermanent)
        #expect(LinearError.malformed("no data").isPermanent)
        for transient in [
            LinearError.http(408, ""), .http(429, ""), .http(500, ""), .http(503, ""), .transport("refused"),
            .unauthorized("token"), .graphQL(["Internal server error"]),
        ] {
            #expect(!transient.isPermanent, "\(transient)")
        }
    }
}

import BatonCore
import BatonHTTP
import BatonJSON
import BatonTestSupport
import Testing

@testable import BatonLinear

/// The GraphQL client against a loopback server playing Linear (real HTTP, Linear's shapes).
@Suite struct LinearClientTests {
    static func client(_ url: String, key: String = FakeLinear.apiKey) -> LinearClient {
        LinearClient(endpoint: url, apiKey: { key })
    }

    @Test func sendsTheKeyAsItIsAndRemembersTheRateLimit() async throws {
        let linear = FakeLinear()
        let url = try linear.start()
        defer { Task { await linear.stop() } }
        let client = Self.client(url)
        let data = try await client.execute("query BatonViewer { viewer { id name email } }")
        #expect(data["viewer"]?["id"] == "baton-app-user")
        #expect(linear.recorded.first?.authorization == FakeLinear.apiKey)  // no "Bearer" for a personal key
        #expect(client.rateLimit.limit == 1500 && client.rateLimit.remaining == 1499)
    }

    @Test func callsAreCountedByOperationAndOutcome() async throws {
        let linear = FakeLinear()
        let url = try linear.start()
        defer { Task { await linear.stop() } }
        let metrics = MetricsRegistry()
        let client = LinearClient(endpoint: url, metrics: metrics, apiKey: { FakeLinear.apiKey })
        _ = try await client.execute("query BatonViewer { viewer { id } }")
        linear.rateLimit(next: 1)
        _ = try? await client.execute("query BatonViewer { viewer { id } }")
        let text = metrics.exposition()
        #expect(text.contains(#"baton_linear_requests_total{operation="BatonViewer",outcome="ok"} 1"#), "\(text)")
        #expect(text.contains(#"baton_linear_requests_total{operation="BatonViewer",outcome="rate_limited"} 1"#))
        #expect(text.contains(#"baton_linear_request_duration_seconds_count{operation="BatonViewer"} 2"#))
        #expect(text.contains("baton_linear_rate_limit_remaining 0"))
    }

    @Test func aRateLimitedAnswerBacksOffUntilTheReset() async throws {
        let linear = FakeLinear()
        let url = try linear.start()
        defer { Task { await linear.stop() } }
        linear.rateLimit(next: 1)
        let client = Self.client(url)
        await #expect {
            try await client.execute("query BatonViewer { viewer { id } }")
        } throws: { error in
            guard case LinearError.rateLimited(let reset?) = error else { return false }
            return reset > Timestamp.nowMilliseconds()
        }
        // Until the reset, nothing more is sent: the window is known to be spent.
        await #expect(throws: LinearError.self) { try await client.execute("query BatonViewer { viewer { id } }") }
        #expect(linear.recorded.count == 1)
    }

    /// The reset header is Linear's, read as it comes: a negative one is skipped, a far-off one
    /// capped at an hour ahead, and none makes the error's description trap.
    @Test func aResetHeaderOutOfRangeIsSkippedOrCapped() {
        let client = Self.client("http://127.0.0.1:9")
        client.remember(["X-RateLimit-Requests-Reset": "-9223372036854775808", "X-RateLimit-Requests-Remaining": "0"])
        #expect(client.rateLimit.resetAtMs == nil && client.rateLimit.remaining == 0)
        client.remember(["X-RateLimit-Requests-Reset": "9223372036854775807"])
        let capped = client.rateLimit.resetAtMs ?? 0
        #expect(capped > Timestamp.nowMilliseconds() && capped <= Timestamp.nowMilliseconds() + 3_600_000)
        #expect(LinearError.rateLimited(resetAtMs: Int64.min).description.hasPrefix("Linear rate limit reached"))
    }

    @Test func errorsAreClassified() async throws {
        let linear = FakeLinear()
        let url = try linear.start()
        defer { Task { await linear.stop() } }
        await #expect {
            try await Self.client(url, key: "lin_api_wrong").execute("query BatonViewer { viewer { id } }")
        } throws: { error in
            if case LinearError.unauthorized(let m) = error { return m.contains("Authentication required") }
            return false
        }
        await #expect(throws: LinearError.graphQL(["Cannot query this operation"])) {
            try await Self.client(url).execute("query Unknown { nothing }")
        }
        await #expect(throws: LinearError.unauthorized("no API key is configured (tracker.api_key)")) {
            try await Self.client(url, key: "").execute("query BatonViewer { viewer { id } }")
        }
        // Nothing listens on port 9 of loopback.
        await #expect {
            try await Self.client("http://127.0.0.1:9/graphql").execute("query BatonViewer { viewer { id } }")
        } throws: { error in
            if case LinearError.transport = error { return true }
            return false
        }
    }
}

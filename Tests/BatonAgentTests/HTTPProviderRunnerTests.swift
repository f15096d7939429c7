import BatonHTTP
import BatonJSON
import BatonTestSupport
import Synchronization
import Testing

@testable import BatonAgent

@Suite struct HTTPProviderRunnerTests {
    static let key = "sk-test-0123456789abcdefghijklmnop"

    static func task(model: String? = "small-model") -> AgentTask {
        AgentTask(jobID: 1, prompt: "Summarise", input: "the text", provider: "llm", model: model, workspace: "/tmp")
    }

    static func run(_ runner: HTTPProviderRunner) async -> AgentOutcome {
        await runner.run(Self.task(), steer: AsyncStream { $0.finish() }, events: { _ in })
    }

    @Test func openAIChatCompletions() async throws {
        let fake = FakeProvider([
            .json(
                .ok,
                #"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"A summary."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#
            )
        ])
        let base = try fake.start()
        let http = HTTPClient()
        defer { http.shutdown() }
        let outcome = await Self.run(HTTPProviderRunner(wire: .openai, baseURL: base + "/v1", http: http) { Self.key })
        await fake.stop()
        #expect(outcome == AgentOutcome(status: .succeeded, result: "A summary.", tokensInput: 12, tokensOutput: 3))
        let request = try #require(fake.requests.first)
        #expect(request.method == .post && request.path == "/v1/chat/completions")
        #expect(request.headers["Authorization"] == "Bearer \(Self.key)")
        #expect(request.body["model"] == "small-model")
        #expect(request.body["messages"]?.arrayValue?.first?["content"] == "Summarise\n\nthe text")
        #expect(request.body["messages"]?.arrayValue?.first?["role"] == "user")
    }

    @Test func ollamaChat() async throws {
        let fake = FakeProvider([
            .json(
                .ok,
                #"{"model":"llama3.2","created_at":"2026-12-01T00:00:00Z","message":{"role":"assistant","content":"Hi."},"done":true,"prompt_eval_count":20,"eval_count":4}"#
            )
        ])
        let base = try fake.start()
        let http = HTTPClient()
        defer { http.shutdown() }
        let outcome = await Self.run(HTTPProviderRunner(wire: .ollama, baseURL: base, http: http))
        await fake.stop()
        #expect(outcome == AgentOutcome(status: .succeeded, result: "Hi.", tokensInput: 20, tokensOutput: 4))
        let request = try #require(fake.requests.first)
        #expect(request.path == "/api/chat" && request.body["stream"] == false)
        #expect(request.headers["Authorization"] == nil)
    }

    @Test func anthropicMessages() async throws {
        let fake = FakeProvider([
            .json(
                .ok,
                #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Part one. "},{"type":"text","text":"Part two."}],"stop_reason":"end_turn","usage":{"input_tokens":30,"output_tokens":6}}"#
            )
        ])
        let base = try fake.start()
        let http = HTTPClient()
        defer { http.shutdown() }
        let outcome = await Self.run(HTTPProviderRunner(wire: .anthropic, baseURL: base, http: http) { Self.key })
        await fake.stop()
        #expect(
            outcome == AgentOutcome(status: .succeeded, result: "Part one. Part two.", tokensInput: 30, tokensOutput: 6)
        )
        let request = try #require(fake.requests.first)
        #expect(request.path == "/v1/messages")
        #expect(request.headers["x-api-key"] == Self.key && request.headers["anthropic-version"] == "2023-06-01")
        #expect(request.body["max_tokens"] == 4096)
    }

    /// 429, then 503, then 200: the runner waits (Retry-After: 0 here) and succeeds.
    @Test func rateLimitsAndServerErrorsAreRetried() async throws {
        var limited = HTTPResponse.json(
            HTTPStatus(code: 429), #"{"error":{"message":"Rate limit reached","type":"requests"}}"#)
        limited.headers.add("Retry-After", "0")
        let fake = FakeProvider([
            limited, .json(HTTPStatus(code: 503), #"{"error":{"message":"overloaded"}}"#),
            .json(
                .ok,
                #"{"choices":[{"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#
            ),
        ])
        let base = try fake.start()
        let http = HTTPClient()
        defer { http.shutdown() }
        var runner = HTTPProviderRunner(wire: .openai, baseURL: base, http: http) { Self.key }
        runner.initialBackoff = .milliseconds(10)
        let outcome = await Self.run(runner)
        await fake.stop()
        #expect(outcome.status == .succeeded && outcome.result == "ok")
        #expect(fake.requests.count == 3)
    }

    /// 401 fails at once with a clear error, and the key never appears in it, even where the
    /// provider echoes part of it.
    @Test func aRefusedKeyFailsWithoutKeyMaterial() async throws {
        let fake = FakeProvider([
            .json(
                .unauthorized,
                #"{"error":{"message":"Incorrect API key provided: sk-test-0123456789abcdefghijklmnop. You can find your API key at the dashboard.","type":"invalid_request_error","code":"invalid_api_key"}}"#
            )
        ])
        let base = try fake.start()
        let http = HTTPClient()
        defer { http.shutdown() }
        let outcome = await Self.run(HTTPProviderRunner(wire: .openai, baseURL: base, http: http) { Self.key })
        await fake.stop()
        #expect(outcome.status == .failed)
        let error = try #require(outcome.error)
        #expect(error.hasPrefix("openai: the provider refused the API key (401): Incorrect API key provided:"))
        #expect(!error.contains(Self.key) && !error.contains("0123456789") && !error.contains("abcdefgh"))
        #expect(fake.requests.count == 1)
    }

    @Test func noModelOrNoKeyIsAClearFailureWithoutARequest() async {
        let runner = HTTPProviderRunner(wire: .anthropic, baseURL: "http://127.0.0.1:9") { nil }
        let noModel = await runner.run(Self.task(model: nil), steer: AsyncStream { $0.finish() }, events: { _ in })
        #expect(noModel.error?.contains("no model") == true)
        let noKey = await Self.run(runner)
        #expect(noKey.error == "anthropic: no API key: set providers.<name>.api_key to a $secret: reference")
    }

    @Test func redactionRemovesTheKeyAndItsFragments() {
        let text = "bad key sk-test-0123456789abcdefghijklmnop, or ...9abcdefgh... or sk-test-01"
        let redacted = HTTPProviderRunner.redact(text, key: Self.key)
        #expect(!redacted.contains("0123456789") && !redacted.contains("9abcdefgh"))
        #expect(redacted.hasPrefix("bad key [REDACTED]"))
        // A short key (here 4 scalars in 8 bytes) is still removed whole.
        #expect(HTTPProviderRunner.redact("refused ключ!", key: "ключ") == "refused [REDACTED]!")
    }
}

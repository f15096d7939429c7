import BatonCore
import BatonHTTP
import BatonJSON
import BatonTestSupport
import Testing

@testable import BatonAPI

/// `GET /api/v1/models` with loopback servers playing each provider's model list in its wire
/// format, and workers reporting models in their heartbeats.
@Suite struct ModelRoutesTests {
    @Test func providersAndTheFleetAreMergedAndFiltered() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let openai = FakeProvider([
            .json(
                .ok,
                #"{"object":"list","data":[{"id":"gpt-4o","object":"model","owned_by":"openai"},{"id":"o4-mini","object":"model"}]}"#
            )
        ])
        let ollama = FakeProvider([
            .json(
                .ok,
                #"{"models":[{"name":"qwen2.5-coder:7b","model":"qwen2.5-coder:7b","size":4683087332,"details":{"format":"gguf","parameter_size":"7.6B","quantization_level":"Q4_K_M"}}]}"#
            )
        ])
        let anthropic = FakeProvider([
            .json(
                .unauthorized,
                #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key sk-ant-secret"}}"#
            )
        ])
        let (o, l, a) = (try openai.start(), try ollama.start(), try anthropic.start())
        defer {
            Task {
                await openai.stop()
                await ollama.stop()
                await anthropic.stop()
            }
        }
        try await c.vault.set(tenant: "default", name: "openai_key", value: "sk-openai-secret")
        try await c.vault.set(tenant: "default", name: "anthropic_key", value: "sk-ant-secret")
        let overlay = """
            {"providers":{"gpt":{"kind":"openai","base_url":"\(o)/v1","api_key":"$secret:openai_key"},
            "local":{"kind":"ollama","base_url":"\(l)","models":["llama3.1:8b"]},
            "claude":{"kind":"anthropic","base_url":"\(a)","api_key":"$secret:anthropic_key","models":["claude-sonnet-4"]}}}
            """
        #expect(await c.send(.put, "/api/v1/config/overlay", overlay).status == .ok)
        let presence = await c.send(
            .put, "/presence",
            #"{"instance":"gpu-1","provider":"local","top_models":[{"name":"qwen2.5-coder:7b","fit":"perfect","score":91}],"models":[{"name":"llama3.1:8b","fit":"good","score":70}]}"#
        )
        #expect(presence.status == .ok)

        let all = await c.request(.get, "/api/v1/models").json
        let names = all["models"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.first == "qwen2.5-coder:7b", "\(all.text)")  // the best score first
        #expect(Set(names) == ["qwen2.5-coder:7b", "llama3.1:8b", "gpt-4o", "o4-mini", "claude-sonnet-4"])
        let qwen = all["models"]?.arrayValue?.first
        #expect(qwen?["providers"] == ["local"] && qwen?["best_fit"] == "perfect" && qwen?["best_score"] == .double(91))
        #expect(qwen?["fleet"]?.arrayValue?.first?["worker"] == "gpu-1")
        let providers = all["providers"]?.arrayValue ?? []
        #expect(providers.map { $0["name"] } == ["claude", "gpt", "local", "dry-run"])
        #expect(providers[1]["source"] == "provider" && providers[1]["count"] == 2)
        // Anthropic refused the key: the configured list still counts, the error is said, the key is not.
        #expect(providers[0]["source"] == "config" && providers[0]["count"] == 1)
        #expect(providers[0]["error"]?.stringValue?.contains("answered 401") == true)
        #expect(!all.text.contains("sk-ant-secret") && !all.text.contains("sk-openai-secret"))
        // What each provider was asked, in its own wire format.
        #expect(openai.requests.first?.path == "/v1/models")
        #expect(openai.requests.first?.headers["Authorization"] == "Bearer sk-openai-secret")
        #expect(ollama.requests.first?.path == "/api/tags")
        #expect(
            anthropic.requests.first?.path == "/v1/models"
                && anthropic.requests.first?.headers["x-api-key"] == "sk-ant-secret")
        #expect(anthropic.requests.first?.headers["anthropic-version"] == "2023-06-01")

        // Filters, as on the node API where they apply.
        let good = await c.request(.get, "/api/v1/models?min_fit=good&sort=name").json
        #expect(good["models"]?.arrayValue?.map { $0["name"] } == ["llama3.1:8b", "qwen2.5-coder:7b"])
        let byProvider = await c.request(.get, "/api/v1/models?provider=GP&limit=1").json
        #expect(byProvider["total_models"] == 2 && byProvider["returned_models"] == 1)
        #expect(await c.request(.get, "/api/v1/models?search=MINI").json["models"]?.arrayValue?.count == 1)
        // Cached: a second answer did not ask the providers again.
        #expect(openai.requests.count == 1)
    }

    @Test(arguments: [
        ("min_fit=great", "invalid min_fit value: use perfect|good|marginal|too_tight"),
        ("sort=tps", "invalid sort column: use score|name"), ("limit=-1", "invalid limit value: use a whole number"),
        ("refresh=maybe", "invalid refresh value: use true|false"),
    ])
    func badFiltersAre400(query: String, message: String) async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(.get, "/api/v1/models?\(query)")
        #expect(response.status == .badRequest && response.json["error"] == .string(message))
        #expect(await c.request(.get, "/api/v1/models", anonymous: true).status == .unauthorized)
    }
}

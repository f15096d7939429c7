import BatonCore
import BatonHTTP
import BatonJSON
import BatonWorkerProtocol
import Synchronization

/// The models each configured provider offers, asked of the provider itself where it has a list
/// (OpenAI-compatible `GET /models`, Ollama's `GET /api/tags`, Anthropic's `GET /v1/models`) and
/// taken from `providers.<name>.models` otherwise. Answers are cached for `ttl`; a failed fetch is
/// reported with its reason and the configured list still counts.
final class ProviderModels: Sendable {
    struct Listing: Sendable {
        var provider: String
        var kind: String
        var models: [String]
        /// `provider` (asked), `config` (providers.<name>.models only).
        var source: String
        var error: String?
        var fetchedAtMs: Int64
    }

    /// nil: the shared client, touched only at the first fetch (starting libcurl and its TLS
    /// state costs memory a server that never asks a provider should not pay).
    let client: HTTPClient?
    let ttlMs: Int64
    let secret: @Sendable (String) async throws -> String
    private let cache = Mutex<[String: Listing]>([:])

    init(
        http: HTTPClient? = nil, ttlMs: Int64 = 300_000, secret: @escaping @Sendable (String) async throws -> String
    ) {
        self.client = http
        self.ttlMs = ttlMs
        self.secret = secret
    }

    /// Every provider of `providers` (and `agent.provider` when it is a built-in name), listed.
    func listings(config: JSONValue, refresh: Bool) async -> [Listing] {
        let providers = config.value(at: ["providers"])?.objectValue ?? [:]
        var names = providers.keys.sorted()
        if let agent = config.value(at: ["agent", "provider"])?.stringValue, !names.contains(agent) {
            names.append(agent)
        }
        var out: [Listing] = []
        for name in names {
            let entry = providers[name] ?? [:]
            let kind = entry["kind"]?.stringValue ?? name
            let configured = entry["models"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let now = Timestamp.nowMilliseconds()
            let fingerprint = name + "\u{0}" + entry.text
            if !refresh, let hit = cache.withLock({ $0[fingerprint] }), now - hit.fetchedAtMs < ttlMs {
                out.append(hit)
                continue
            }
            var listing = Listing(
                provider: name, kind: kind, models: configured, source: "config", error: nil, fetchedAtMs: now)
            if let http = ProviderKind(rawValue: kind), http.isHTTP {
                do {
                    let asked = try await fetch(kind: http, entry: entry)
                    listing.models = Array(Set(asked + configured)).sorted()
                    listing.source = "provider"
                } catch {
                    listing.error = "\(error)"
                }
            }
            let stored = listing
            cache.withLock { $0[fingerprint] = stored }
            out.append(listing)
        }
        return out
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func fetch(kind: ProviderKind, entry: JSONValue) async throws -> [String] {
        var key: String?
        if let reference = entry["api_key"]?.stringValue {
            key = try await secret(reference)
        }
        var headers = HTTPHeaders()
        let url: String
        switch kind {
        case .openai:
            url = (entry["base_url"]?.stringValue ?? "https://api.openai.com/v1").trimmingTrailingSlash + "/models"
            if let key { headers.add("Authorization", "Bearer \(key)") }
        case .ollama:
            url = (entry["base_url"]?.stringValue ?? "http://127.0.0.1:11434").trimmingTrailingSlash + "/api/tags"
        default:
            url = (entry["base_url"]?.stringValue ?? "https://api.anthropic.com").trimmingTrailingSlash + "/v1/models"
            if let key { headers.add("x-api-key", key) }
            headers.add("anthropic-version", "2023-06-01")
        }
        let response: HTTPClientResponse
        do {
            response = try await (client ?? HTTPClient.shared).execute(
                HTTPClientRequest(url: url, headers: headers, timeout: .seconds(10), maxResponseBytes: 4 << 20))
        } catch {
            throw Failure(description: "cannot reach \(url): \(error)")
        }
        guard (200..<300).contains(response.status) else {
            // The key must not leak through an echoed error body.
            var body = String(response.text.prefix(200))
            if let key, !key.isEmpty { body = body.replacing(key, with: "[redacted]") }
            throw Failure(description: "\(url) answered \(response.status): \(body)")
        }
        guard let document = try? JSONParser.parse(response.body) else {
            throw Failure(description: "\(url) did not answer JSON")
        }
        let items = kind == .ollama ? document["models"]?.arrayValue : document["data"]?.arrayValue
        guard let items else { throw Failure(description: "\(url) answered without a model list") }
        return items.compactMap {
            kind == .ollama ? ($0["name"]?.stringValue ?? $0["model"]?.stringValue) : $0["id"]?.stringValue
        }
    }
}

extension String {
    var trimmingTrailingSlash: String {
        var s = self
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }
}

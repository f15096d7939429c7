import BatonHTTP
import BatonJSON
import BatonPlatform
import BatonWorkerProtocol

/// LLM providers over HTTP (libcurl): one request per turn, the prompt as the user message, the
/// reply as the result, token usage from the response. 429 and 5xx answers are retried with
/// backoff (honouring `Retry-After`); other errors fail the attempt with the provider's message,
/// with the API key removed from anything that could echo it.
public struct HTTPProviderRunner: AgentRunner {
    /// The wire formats: OpenAI-compatible chat completions, Ollama's chat, Anthropic's messages.
    public enum Wire: String, Sendable, CaseIterable {
        case openai, ollama, anthropic

        /// The wire of an HTTP provider kind (nil for the others).
        public init?(_ kind: ProviderKind) {
            switch kind {
            case .openai: self = .openai
            case .ollama: self = .ollama
            case .anthropic: self = .anthropic
            case .dryRun, .command, .codex, .claudeCode: return nil
            }
        }

        public var kind: ProviderKind {
            switch self {
            case .openai: .openai
            case .ollama: .ollama
            case .anthropic: .anthropic
            }
        }

        public var defaultBaseURL: String {
            switch self {
            case .openai: "https://api.openai.com/v1"
            case .ollama: "http://127.0.0.1:11434"
            case .anthropic: "https://api.anthropic.com"
            }
        }

        var path: String {
            switch self {
            case .openai: "/chat/completions"
            case .ollama: "/api/chat"
            case .anthropic: "/v1/messages"
            }
        }
    }

    public let wire: Wire
    public var kind: String { wire.kind.rawValue }
    public let baseURL: String
    public let defaultModel: String?
    /// Reads the API key when a request is made (a secret is decrypted only at the moment of use).
    public let apiKey: @Sendable () async throws -> String?
    public var timeout: Duration = .seconds(600)
    public var maxAttempts = 5
    /// Longest wait before a retry, whatever `Retry-After` says.
    public var maxBackoff: Duration = .seconds(30)
    public var initialBackoff: Duration = .milliseconds(500)
    private let http: HTTPClient

    public init(
        wire: Wire, baseURL: String? = nil, model: String? = nil, http: HTTPClient = .shared,
        apiKey: @escaping @Sendable () async throws -> String? = { nil }
    ) {
        self.wire = wire
        var base = baseURL ?? wire.defaultBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.defaultModel = model
        self.http = http
        self.apiKey = apiKey
    }

    public func run(_ task: AgentTask, steer: AsyncStream<String>, events: @escaping @Sendable (AgentEvent) -> Void)
        async -> AgentOutcome
    {
        guard let model = task.model ?? defaultModel, !model.isEmpty else {
            return .failed("\(kind): no model: give the job a model or set providers.<name>.models")
        }
        let key: String?
        do {
            key = try await apiKey()
        } catch {
            return .failed("\(kind): the API key could not be read: \(error)")
        }
        if wire != .ollama && (key ?? "").isEmpty {
            return .failed("\(kind): no API key: set providers.<name>.api_key to a $secret: reference")
        }
        var prompt = task.prompt
        if let input = task.input, !input.isEmpty { prompt += "\n\n" + input }
        events(.turnStarted(1))
        let request = HTTPClientRequest(
            method: .post, url: baseURL + wire.path, headers: headers(key: key),
            body: body(model: model, prompt: prompt).utf8Bytes,
            timeout: timeout, connectTimeout: .seconds(10))
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request)
            } catch {
                if Task.isCancelled { return .failed("cancelled") }
                if attempt < maxAttempts, await pause(attempt: attempt, retryAfter: nil) { continue }
                return .failed(redact("\(kind): the request failed: \(error)", key: key))
            }
            if response.status == 429 || response.status >= 500 {
                if attempt < maxAttempts, await pause(attempt: attempt, retryAfter: response.headers["Retry-After"]) {
                    events(.message("\(kind): \(response.status), retrying (attempt \(attempt + 1) of \(maxAttempts))"))
                    continue
                }
                return .failed(
                    redact("\(kind): \(response.status) after \(attempt) attempts: \(message(response))", key: key))
            }
            guard (200..<300).contains(response.status) else {
                let what =
                    response.status == 401 || response.status == 403
                    ? "the provider refused the API key" : "the provider refused the request"
                return .failed(redact("\(kind): \(what) (\(response.status)): \(message(response))", key: key))
            }
            guard let json = try? JSONParser.parse(response.body), let reply = parse(json) else {
                return .failed("\(kind): the answer was not in the \(kind) format")
            }
            events(.message(String(reply.text.prefix(500))))
            events(.tokens(input: reply.input, output: reply.output))
            events(.turnEnded(1))
            return AgentOutcome(
                status: .succeeded, result: reply.text, tokensInput: reply.input, tokensOutput: reply.output)
        }
    }

    // MARK: Wire formats

    func headers(key: String?) -> HTTPHeaders {
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Accept": "application/json"]
        switch wire {
        case .openai:
            if let key { headers.add("Authorization", "Bearer \(key)") }
        case .ollama:
            if let key, !key.isEmpty { headers.add("Authorization", "Bearer \(key)") }
        case .anthropic:
            if let key { headers.add("x-api-key", key) }
            headers.add("anthropic-version", "2023-06-01")
        }
        return headers
    }

    func body(model: String, prompt: String) -> JSONValue {
        let messages: JSONValue = [["role": "user", "content": .string(prompt)]]
        switch wire {
        case .openai: return ["model": .string(model), "messages": messages]
        case .ollama: return ["model": .string(model), "messages": messages, "stream": false]
        case .anthropic: return ["model": .string(model), "max_tokens": 4096, "messages": messages]
        }
    }

    /// The reply text and token counts of a successful answer.
    func parse(_ json: JSONValue) -> (text: String, input: Int64, output: Int64)? {
        switch wire {
        case .openai:
            guard let text = json["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue else { return nil }
            return (
                text, TokenUsage.count(json["usage"]?["prompt_tokens"]) ?? 0,
                TokenUsage.count(json["usage"]?["completion_tokens"]) ?? 0
            )
        case .ollama:
            guard let text = json["message"]?["content"]?.stringValue else { return nil }
            return (text, TokenUsage.count(json["prompt_eval_count"]) ?? 0, TokenUsage.count(json["eval_count"]) ?? 0)
        case .anthropic:
            guard let blocks = json["content"]?.arrayValue else { return nil }
            let text = blocks.filter { $0["type"] == "text" }.compactMap { $0["text"]?.stringValue }.joined()
            return (
                text, TokenUsage.count(json["usage"]?["input_tokens"]) ?? 0,
                TokenUsage.count(json["usage"]?["output_tokens"]) ?? 0
            )
        }
    }

    /// The provider's own error message, when it gave one.
    func message(_ response: HTTPClientResponse) -> String {
        guard let json = try? JSONParser.parse(response.body) else { return String(response.text.prefix(300)) }
        let text = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue ?? json["message"]?.stringValue
        return String((text ?? response.text).prefix(300))
    }

    /// Waits before retry `attempt` (exponential, or `Retry-After` seconds, capped); false when cancelled.
    private func pause(attempt: Int, retryAfter: String?) async -> Bool {
        var wait = initialBackoff * (1 << min(attempt - 1, 10))
        if let retryAfter, let seconds = Int(retryAfter.trimmingSpaces), seconds >= 0 { wait = .seconds(seconds) }
        if wait > maxBackoff { wait = maxBackoff }
        do {
            try await Task.sleep(for: wait)
            return true
        } catch {
            return false
        }
    }

    /// Removes the key, and any 8-character stretch of it, from text bound for logs and the job.
    static func redact(_ text: String, key: String?) -> String {
        guard let key, !key.isEmpty else { return text }
        var out = text.replacing(key, with: "[REDACTED]")
        let scalars = Array(key.unicodeScalars)
        guard scalars.count >= 8 else { return out }
        var fragments: Set<String> = []
        for start in 0...(scalars.count - 8) {
            fragments.insert(String(String.UnicodeScalarView(scalars[start..<(start + 8)])))
        }
        for fragment in fragments where out.contains(fragment) { out = out.replacing(fragment, with: "[REDACTED]") }
        return out
    }

    private func redact(_ text: String, key: String?) -> String { Self.redact(text, key: key) }
}

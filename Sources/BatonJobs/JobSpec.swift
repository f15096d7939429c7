import BatonCore
import BatonJSON
import BatonWorkerProtocol

/// Why a job body was refused, in one sentence a client can act on.
public struct JobInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a client asks for when it creates a job (`POST /api/jobs`, `POST /dispatch`), validated.
public struct JobSpec: Sendable, Equatable {
    public var prompt: String
    public var input: String?
    public var provider: String
    public var model: String?
    public var priority: JobPriority
    public var tier: JobTier
    public var tags: [String]
    public var issue: String?
    /// Set by the orchestrator, not by API clients: strings for the worker's hooks (the git route).
    public var context: [String: String] = [:]

    public init(
        prompt: String, input: String? = nil, provider: String, model: String? = nil,
        priority: JobPriority = .normal, tier: JobTier = .medium, tags: [String] = [], issue: String? = nil
    ) {
        self.prompt = prompt
        self.input = input
        self.provider = provider
        self.model = model
        self.priority = priority
        self.tier = tier
        self.tags = tags
        self.issue = issue
    }

    public static let fields: Set<String> = [
        "prompt", "input", "provider", "model", "priority", "tier", "tags", "issue",
    ]
    public static let maxTags = 32

    /// Validates a request body's fields. `defaultProvider` fills a missing provider;
    /// `maxPromptBytes` bounds prompt and input together.
    public static func parse(_ fields: [String: JSONValue], defaultProvider: String, maxPromptBytes: Int)
        throws(JobInputError) -> JobSpec
    {
        if let unknown = fields.keys.filter({ !JobSpec.fields.contains($0) }).sorted().first {
            throw JobInputError("unknown field \(JSONText.quote(unknown))")
        }
        guard let promptValue = fields["prompt"] else { throw JobInputError("missing field \"prompt\"") }
        guard case .string(let prompt) = promptValue else {
            throw JobInputError("field \"prompt\" must be a string, not \(promptValue.typeName)")
        }
        guard !prompt.isBlank else { throw JobInputError("the prompt is empty") }
        let input = try optionalString(fields, "input")
        let size = prompt.utf8.count + (input?.utf8.count ?? 0)
        guard size <= maxPromptBytes else {
            throw JobInputError(
                "prompt and input are \(size) bytes; the limit is \(maxPromptBytes) (jobs.max_prompt_bytes)")
        }
        let provider = try optionalString(fields, "provider") ?? defaultProvider
        guard isName(provider) else {
            throw JobInputError("provider must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        let model = try optionalString(fields, "model")
        if let model, model.isEmpty || model.codePointCount > 200 || model.containsLineBreak {
            throw JobInputError("model must be 1 to 200 characters on one line")
        }
        let issue = try optionalString(fields, "issue")
        if let issue, !isName(issue) {
            throw JobInputError("issue must be an identifier such as ENG-123")
        }
        return JobSpec(
            prompt: prompt, input: input, provider: provider, model: model,
            priority: try priority(fields["priority"]) ?? .normal, tier: try tier(fields["tier"]) ?? .medium,
            tags: try tags(fields["tags"]) ?? [], issue: issue)
    }

    public static func priority(_ value: JSONValue?) throws(JobInputError) -> JobPriority? {
        guard let value else { return nil }
        guard let text = value.stringValue, let priority = JobPriority(rawValue: text) else {
            throw JobInputError("priority must be one of low, normal, high")
        }
        return priority
    }

    public static func tier(_ value: JSONValue?) throws(JobInputError) -> JobTier? {
        guard let value else { return nil }
        guard let text = value.stringValue, let tier = JobTier(rawValue: text) else {
            throw JobInputError("tier must be one of low, medium, high")
        }
        return tier
    }

    /// Tags: an array of up to 32 distinct names (letters, digits, `.`, `_`, `-`, `:`; at most 64).
    public static func tags(_ value: JSONValue?) throws(JobInputError) -> [String]? {
        guard let value else { return nil }
        guard let items = value.arrayValue else { throw JobInputError("tags must be an array of strings") }
        guard items.count <= maxTags else { throw JobInputError("at most \(maxTags) tags are allowed") }
        var seen: Set<String> = []
        var out: [String] = []
        for item in items {
            guard let tag = item.stringValue else { throw JobInputError("tags must be an array of strings") }
            guard isTag(tag) else {
                throw JobInputError(
                    "tag \(JSONText.quote(String(tag.prefix(80)))) must be 1 to 64 letters, digits, '.', '_', '-' or ':'"
                )
            }
            guard seen.insert(tag).inserted else { throw JobInputError("tag \(JSONText.quote(tag)) is repeated") }
            out.append(tag)
        }
        return out
    }

    static func optionalString(_ fields: [String: JSONValue], _ name: String) throws(JobInputError) -> String? {
        guard let value = fields[name], value != .null else { return nil }
        guard case .string(let text) = value else {
            throw JobInputError("field \(JSONText.quote(name)) must be a string, not \(value.typeName)")
        }
        return text
    }

    /// `[A-Za-z0-9._-]{1,64}`: worker instances, providers, issue identifiers.
    public static func isName(_ text: String) -> Bool { text.isPlainName }

    /// A name that may also hold `:` (`tier:high`).
    public static func isTag(_ text: String) -> Bool { ProtocolNames.isTag(text) }
}

import BatonCore
import BatonJSON
import BatonPlatform

/// A model a worker says it can run, with the fit its node API computed for it.
public struct WorkerModel: Sendable, Equatable {
    public var name: String
    /// 0–100; nil when the worker did not score it.
    public var score: Double?
    /// The node API's fit level (`perfect`, `good`, `marginal`, `too_tight`), if given.
    public var fit: String?

    public init(name: String, score: Double? = nil, fit: String? = nil) {
        self.name = name
        self.score = score
        self.fit = fit
    }

    public var runnable: Bool { fit != "too_tight" }

    var json: JSONValue {
        [
            "name": .string(name), "score": score.map(JSONValue.double) ?? .null,
            "fit": fit.map(JSONValue.string) ?? .null,
        ]
    }
}

/// What a worker reports of one workspace besides its name.
public struct WorkspaceUsage: Sendable, Equatable {
    public var path: String?
    public var bytes: Int64?
    /// When something in it last changed (ISO 8601, the worker's clock).
    public var lastUsed: String?

    public init(path: String? = nil, bytes: Int64? = nil, lastUsed: String? = nil) {
        self.path = path
        self.bytes = bytes
        self.lastUsed = lastUsed
    }

    var json: JSONValue {
        [
            "path": path.map(JSONValue.string) ?? .null, "bytes": bytes.map(JSONValue.int) ?? .null,
            "last_used": lastUsed.map(JSONValue.string) ?? .null,
        ]
    }

    init(json: JSONValue) {
        path = json["path"]?.stringValue
        bytes = json["bytes"]?.intValue
        lastUsed = json["last_used"]?.stringValue
    }
}

/// One `PUT /presence` heartbeat: the reference body (`instance`, `status`, `tags` as a comma
/// string, `provider`) plus the optional fields of SPEC §6.7.
public struct PresenceReport: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case online, idle, busy, offline
    }

    public var instance: String
    public var status: Status
    public var tags: [String]
    public var provider: String
    public var providers: [String]
    public var capacity: Int
    public var load: Int
    /// The models it serves: when listed, a job for another model is not routed here.
    public var models: [WorkerModel]
    /// Its node's best-fitting models (`baton node`'s analysis): they score the router's
    /// model-fit component and never make a worker ineligible.
    public var topModels: [WorkerModel]
    public var nodeURL: String?
    public var version: String?
    /// The names of the workspaces the worker keeps (its inventory), when it reports them.
    public var workspaces: [String]
    /// Path, size and last use of those workspaces, when the worker reports them (by name).
    public var workspaceUsage: [String: WorkspaceUsage] = [:]

    public init(
        instance: String, status: Status = .idle, tags: [String] = [], provider: String,
        providers: [String] = [], capacity: Int = 1, load: Int = 0, models: [WorkerModel] = [],
        topModels: [WorkerModel] = [], nodeURL: String? = nil, version: String? = nil, workspaces: [String] = [],
        workspaceUsage: [String: WorkspaceUsage] = [:]
    ) {
        self.workspaceUsage = workspaceUsage
        self.topModels = topModels
        self.workspaces = workspaces
        self.instance = instance
        self.status = status
        self.tags = tags
        self.provider = provider
        self.providers = providers
        self.capacity = capacity
        self.load = load
        self.models = models
        self.nodeURL = nodeURL
        self.version = version
    }

    public static let fields: Set<String> = [
        "instance", "status", "tags", "provider", "providers", "capacity", "load", "models", "top_models", "node_url",
        "version", "workspaces",
    ]
    public static let maxWorkspaces = 1000

    /// Every provider this worker serves (`provider` first).
    public var allProviders: [String] {
        var out = [provider]
        for p in providers where !out.contains(p) { out.append(p) }
        return out
    }

    public static func parse(_ fields: [String: JSONValue]) throws(JobInputError) -> PresenceReport {
        if let unknown = fields.keys.filter({ !PresenceReport.fields.contains($0) }).sorted().first {
            throw JobInputError("unknown field \(JSONText.quote(unknown))")
        }
        guard let instance = try JobSpec.optionalString(fields, "instance") else {
            throw JobInputError("missing field \"instance\"")
        }
        guard JobSpec.isName(instance) else {
            throw JobInputError("instance must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        let statusText = try JobSpec.optionalString(fields, "status") ?? "idle"
        guard let status = Status(rawValue: statusText) else {
            throw JobInputError("status must be one of online, idle, busy, offline")
        }
        let tags = try parseTags(fields["tags"])
        var providers: [String] = []
        if let value = fields["providers"], value != .null {
            guard let items = value.arrayValue, items.count <= 32 else {
                throw JobInputError("providers must be an array of at most 32 provider names")
            }
            for item in items {
                guard let name = item.stringValue, JobSpec.isName(name) else {
                    throw JobInputError("providers must be an array of at most 32 provider names")
                }
                if !providers.contains(name) { providers.append(name) }
            }
        }
        let provider = try JobSpec.optionalString(fields, "provider") ?? providers.first
        guard let provider else { throw JobInputError("missing field \"provider\" (or a non-empty \"providers\")") }
        guard JobSpec.isName(provider) else {
            throw JobInputError("provider must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        let capacity = try integer(fields, "capacity", range: 1...1024) ?? 1
        let load = try integer(fields, "load", range: 0...1_000_000) ?? 0
        let models = try parseModels(fields["models"])
        let topModels = try parseModels(fields["top_models"], field: "top_models")
        let nodeURL = try JobSpec.optionalString(fields, "node_url")
        if let nodeURL,
            nodeURL.utf8.count > 500 || !(nodeURL.hasPrefix("http://") || nodeURL.hasPrefix("https://"))
        {
            throw JobInputError("node_url must be an http:// or https:// URL of at most 500 bytes")
        }
        let version = try JobSpec.optionalString(fields, "version")
        if let version, version.isEmpty || version.utf8.count > 64 || version.contains(where: \.isNewline) {
            throw JobInputError("version must be 1 to 64 characters on one line")
        }
        var workspaces: [String] = []
        var usage: [String: WorkspaceUsage] = [:]
        if let value = fields["workspaces"], value != .null {
            guard let items = value.arrayValue, items.count <= maxWorkspaces else {
                throw JobInputError("workspaces must be an array of at most \(maxWorkspaces) workspace names")
            }
            for item in items {
                // A name, or {name, path, bytes, last_used}.
                guard let name = item.stringValue ?? item["name"]?.stringValue, !name.isEmpty, name.utf8.count <= 200,
                    !name.contains("/"), !name.hasPrefix(".")
                else {
                    throw JobInputError(
                        "workspaces must hold directory names (1 to 200 bytes, no '/', not starting with '.')")
                }
                if case .object(let details) = item {
                    // Each field absent, null, or of its type: a wrong type is refused, not dropped.
                    func field<T>(_ key: String, _ read: (JSONValue) -> T?) -> (ok: Bool, value: T?) {
                        guard let value = details[key], value != .null else { return (true, nil) }
                        let typed = read(value)
                        return (typed != nil, typed)
                    }
                    let (pathOK, path) = field("path", \.stringValue)
                    let (bytesOK, bytes) = field("bytes", \.intValue)
                    let (lastUsedOK, lastUsed) = field("last_used", \.stringValue)
                    guard pathOK, bytesOK, lastUsedOK, path.map({ $0.utf8.count <= 4096 }) ?? true,
                        bytes.map({ $0 >= 0 }) ?? true,
                        lastUsed.map({ $0.utf8.count <= 64 }) ?? true,
                        details.keys.allSatisfy({ ["name", "path", "bytes", "last_used"].contains($0) })
                    else {
                        throw JobInputError(
                            "a workspace object is {name, path, bytes, last_used} with bytes a whole number of 0 or more"
                        )
                    }
                    usage[name] = WorkspaceUsage(path: path, bytes: bytes, lastUsed: lastUsed)
                }
                workspaces.append(name)
            }
        }
        return PresenceReport(
            instance: instance, status: status, tags: tags, provider: provider, providers: providers,
            capacity: capacity, load: load, models: models, topModels: topModels, nodeURL: nodeURL, version: version,
            workspaces: workspaces.sorted(), workspaceUsage: usage)
    }

    /// The reference sends tags as one comma string (`"code,draft,economy"`); an array is accepted too.
    static func parseTags(_ value: JSONValue?) throws(JobInputError) -> [String] {
        guard let value, value != .null else { return [] }
        let items: [String]
        switch value {
        case .string(let text):
            items = text.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        case .array(let array):
            var strings: [String] = []
            for item in array {
                guard let text = item.stringValue else { throw JobInputError("tags must be a comma-separated string") }
                strings.append(text)
            }
            items = strings
        default:
            throw JobInputError("tags must be a comma-separated string such as \"code,draft,economy\"")
        }
        guard items.count <= 64 else { throw JobInputError("at most 64 tags are allowed") }
        var out: [String] = []
        for tag in items {
            guard JobSpec.isTag(tag) else {
                throw JobInputError(
                    "tag \(JSONText.quote(String(tag.prefix(80)))) must be 1 to 64 letters, digits, '.', '_', '-' or ':'"
                )
            }
            if !out.contains(tag) { out.append(tag) }
        }
        return out
    }

    static func parseModels(_ value: JSONValue?, field: String = "models") throws(JobInputError) -> [WorkerModel] {
        guard let value, value != .null else { return [] }
        guard let items = value.arrayValue, items.count <= 500 else {
            throw JobInputError("\(field) must be an array of at most 500 models")
        }
        var out: [WorkerModel] = []
        for item in items {
            switch item {
            case .string(let name) where !name.isEmpty && name.utf8.count <= 200:
                out.append(WorkerModel(name: name))
            case .object(let fields):
                guard let name = fields["name"]?.stringValue, !name.isEmpty, name.utf8.count <= 200 else {
                    throw JobInputError("each of \(field) needs a \"name\" of 1 to 200 characters")
                }
                var score: Double?
                if let s = fields["score"], s != .null {
                    guard let d = s.doubleValue, d >= 0, d <= 100 else {
                        throw JobInputError("a model's score must be a number from 0 to 100")
                    }
                    score = d
                }
                var fit: String?
                if let f = fields["fit"], f != .null {
                    guard let text = f.stringValue, ["perfect", "good", "marginal", "too_tight"].contains(text) else {
                        throw JobInputError("a model's fit must be one of perfect, good, marginal, too_tight")
                    }
                    fit = text
                }
                out.append(WorkerModel(name: name, score: score, fit: fit))
            default:
                throw JobInputError("each of \(field) must be a name or an object {name, score, fit}")
            }
        }
        return out
    }

    static func integer(_ fields: [String: JSONValue], _ name: String, range: ClosedRange<Int>) throws(JobInputError)
        -> Int?
    {
        guard let value = fields[name], value != .null else { return nil }
        guard let n = value.intValue, range.contains(Int(n)) else {
            throw JobInputError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(n)
    }
}

extension Substring {
}

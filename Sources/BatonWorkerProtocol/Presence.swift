import BatonJSON
import BatonPlatform

/// A model a worker says it can run, with the fit its node API computed for it.
public struct WorkerModel: Sendable, Equatable {
    public var name: String
    /// 0–100; nil when the worker did not score it.
    public var score: Double?
    /// The node API's fit level (`perfect`, `good`, `marginal`, `too_tight`), if given.
    public var fit: String?

    public static let fits = ["perfect", "good", "marginal", "too_tight"]

    public init(name: String, score: Double? = nil, fit: String? = nil) {
        self.name = name
        self.score = score
        self.fit = fit
    }

    public var runnable: Bool { fit != "too_tight" }

    /// `{name, score, fit}`, null where not given: how a heartbeat carries it, and how the
    /// coordinator stores and shows it.
    public var json: JSONValue {
        [
            "name": .string(name), "score": score.map(JSONValue.double) ?? .null,
            "fit": fit.map(JSONValue.string) ?? .null,
        ]
    }

    /// A name alone, or `{name, score 0–100, fit}`; `path` names it in errors (`models[2]`), and
    /// `list` is the field it is in (`models`, `top_models`).
    public init(json: JSONValue, path: String = "", list: String = "models") throws(WorkerProtocolError) {
        switch json {
        case .string(let name) where !name.isEmpty && name.codePointCount <= 200:
            self.init(name: name)
        case .object(let fields):
            guard let name = fields["name"]?.stringValue, !name.isEmpty, name.codePointCount <= 200 else {
                throw WorkerProtocolError(
                    field: path + ".name", "each of \(list) needs a \"name\" of 1 to 200 characters")
            }
            var score: Double?
            if let s = fields["score"], s != .null {
                guard let d = s.doubleValue, d >= 0, d <= 100 else {
                    throw WorkerProtocolError(field: path + ".score", "a model's score must be a number from 0 to 100")
                }
                score = d
            }
            var fit: String?
            if let f = fields["fit"], f != .null {
                guard let text = f.stringValue, WorkerModel.fits.contains(text) else {
                    throw WorkerProtocolError(
                        field: path + ".fit", "a model's fit must be one of perfect, good, marginal, too_tight")
                }
                fit = text
            }
            self.init(name: name, score: score, fit: fit)
        default:
            throw WorkerProtocolError(field: path, "each of \(list) must be a name or an object {name, score, fit}")
        }
    }
}

/// What a worker reports of one workspace besides its name.
public struct WorkspaceUsage: Sendable, Equatable {
    public var path: String?
    public var bytes: Int64?
    /// When something in it last changed (`Timestamp` format, the worker's clock; not checked).
    public var lastUsed: String?

    public static let fields: Set<String> = ["path", "bytes", "last_used"]
    /// The most `bytes` a heartbeat may report (2^53 − 1, 8 PiB): sums of them stay within Int64.
    public static let maxBytes: Int64 = 9_007_199_254_740_991

    public init(path: String? = nil, bytes: Int64? = nil, lastUsed: String? = nil) {
        self.path = path
        self.bytes = bytes
        self.lastUsed = lastUsed
    }

    /// `{path, bytes, last_used}`, each left out when not known.
    public var json: JSONValue {
        var out: [String: JSONValue] = [:]
        if let path { out["path"] = .string(path) }
        if let bytes { out["bytes"] = .int(bytes) }
        if let lastUsed { out["last_used"] = .string(lastUsed) }
        return .object(out)
    }

    /// Each field absent, null, or of its type and within bounds (a path of at most 4096
    /// characters, bytes a whole number from 0 to `maxBytes`, last_used at most 64 characters;
    /// characters are code points, as JSON Schema counts them); `name` is also allowed, for the
    /// heartbeat's `{name, path, bytes, last_used}`.
    public init(json: JSONValue, path at: String = "") throws(WorkerProtocolError) {
        let sentence =
            "a workspace object is {name, path, bytes, last_used} with bytes a whole number from 0 to 2^53 - 1"
        guard case .object(let fields) = json else { throw WorkerProtocolError(field: at, sentence) }
        if let unknown = fields.keys.filter({ !WorkspaceUsage.fields.contains($0) && $0 != "name" }).sorted().first {
            throw WorkerProtocolError(field: at.isEmpty ? unknown : at + "." + unknown, sentence)
        }
        func field<T>(_ key: String, _ read: (JSONValue) -> T?, within: (T) -> Bool) throws(WorkerProtocolError) -> T? {
            guard let value = fields[key], value != .null else { return nil }
            guard let typed = read(value), within(typed) else {
                throw WorkerProtocolError(field: at.isEmpty ? key : at + "." + key, sentence)
            }
            return typed
        }
        self.init(
            path: try field("path", \.stringValue) { $0.codePointCount <= 4096 },
            bytes: try field("bytes", \.intValue) { (0...WorkspaceUsage.maxBytes).contains($0) },
            lastUsed: try field("last_used", \.stringValue) { $0.codePointCount <= 64 })
    }
}

/// One `PUT /presence` heartbeat (SPEC §6.7, §7.2): the reference body (`instance`, `status`,
/// `tags` as a comma string, `provider`) plus the optional fields. The worker builds it; the
/// coordinator reads it with `init(json:)`, refusing what SPEC §6.7 does not allow.
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
    public static let maxTags = 64
    public static let maxProviders = 32
    public static let maxModels = 500
    public static let maxWorkspaces = 1000
    public static let capacityRange = 1...1024
    public static let loadRange = 0...1_000_000

    /// Every provider this worker serves (`provider` first).
    public var allProviders: [String] {
        var out = [provider]
        for p in providers where !out.contains(p) { out.append(p) }
        return out
    }

    /// The body as a worker sends it: tags as one comma string, `version` and `node_url` null
    /// when not known, each workspace a name or `{name, path, bytes, last_used}` when its usage
    /// is known, `models` and `top_models` only when there are some.
    public var json: JSONValue {
        var body: [String: JSONValue] = [
            "instance": .string(instance), "status": .string(status.rawValue),
            "tags": .string(tags.joined(separator: ",")), "provider": .string(provider),
            "providers": .array(providers.map(JSONValue.string)), "capacity": .int(Int64(capacity)),
            "load": .int(Int64(load)), "version": version.map(JSONValue.string) ?? .null,
            "node_url": nodeURL.map(JSONValue.string) ?? .null,
            "workspaces": .array(
                workspaces.map { name in
                    guard case .object(var fields) = workspaceUsage[name]?.json else { return .string(name) }
                    fields["name"] = .string(name)
                    return .object(fields)
                }),
        ]
        if !models.isEmpty { body["models"] = .array(models.map(\.json)) }
        if !topModels.isEmpty { body["top_models"] = .array(topModels.map(\.json)) }
        return .object(body)
    }

    /// Reads a heartbeat body, refusing unknown fields and anything out of bounds with a
    /// sentence naming the field. Workspace names come out sorted.
    public init(json: JSONValue) throws(WorkerProtocolError) {
        let body = try FieldReader(json, allowed: Self.fields)
        guard let instance = try body.string("instance") else { throw body.missing("instance") }
        guard ProtocolNames.isName(instance) else {
            throw body.error("instance", "instance must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        let statusText = try body.string("status") ?? "idle"
        guard let status = Status(rawValue: statusText) else {
            throw body.error("status", "status must be one of online, idle, busy, offline")
        }
        let tags = try Self.tags(body.fields["tags"])
        var providers: [String] = []
        if let value = body.value("providers") {
            let sentence = "providers must be an array of at most \(Self.maxProviders) provider names"
            guard let items = value.arrayValue, items.count <= Self.maxProviders else {
                throw body.error("providers", sentence)
            }
            for (i, item) in items.enumerated() {
                guard let name = item.stringValue, ProtocolNames.isName(name) else {
                    throw WorkerProtocolError(field: "providers[\(i)]", sentence)
                }
                if !providers.contains(name) { providers.append(name) }
            }
        }
        guard let provider = try body.string("provider") ?? providers.first else {
            throw WorkerProtocolError(field: "provider", "missing field \"provider\" (or a non-empty \"providers\")")
        }
        guard ProtocolNames.isName(provider) else {
            throw body.error("provider", "provider must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        func whole(_ name: String, _ range: ClosedRange<Int>) throws(WorkerProtocolError) -> Int? {
            try body.int(
                name, in: range, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        let capacity = try whole("capacity", Self.capacityRange) ?? 1
        let load = try whole("load", Self.loadRange) ?? 0
        let models = try Self.models(body.fields["models"], field: "models")
        let topModels = try Self.models(body.fields["top_models"], field: "top_models")
        let nodeURL = try body.string("node_url")
        if let nodeURL,
            nodeURL.codePointCount > 500 || !(nodeURL.hasPrefix("http://") || nodeURL.hasPrefix("https://"))
        {
            throw body.error("node_url", "node_url must be an http:// or https:// URL of at most 500 characters")
        }
        let version = try body.string("version")
        if let version, version.isEmpty || version.codePointCount > 64 || version.containsLineBreak {
            throw body.error("version", "version must be 1 to 64 characters on one line")
        }
        var workspaces: [String] = []
        var usage: [String: WorkspaceUsage] = [:]
        if let value = body.value("workspaces") {
            guard let items = value.arrayValue, items.count <= Self.maxWorkspaces else {
                throw body.error(
                    "workspaces", "workspaces must be an array of at most \(Self.maxWorkspaces) workspace names")
            }
            for (i, item) in items.enumerated() {
                // A name, or {name, path, bytes, last_used}.
                guard let name = item.stringValue ?? item["name"]?.stringValue, Self.isWorkspaceName(name) else {
                    throw WorkerProtocolError(
                        field: "workspaces[\(i)]",
                        "workspaces must hold directory names (1 to 200 characters, no '/', not starting with '.')")
                }
                if case .object = item { usage[name] = try WorkspaceUsage(json: item, path: "workspaces[\(i)]") }
                workspaces.append(name)
            }
        }
        self.init(
            instance: instance, status: status, tags: tags, provider: provider, providers: providers,
            capacity: capacity, load: load, models: models, topModels: topModels, nodeURL: nodeURL, version: version,
            workspaces: workspaces.sorted(), workspaceUsage: usage)
    }

    /// 1–200 characters (code points), no `/`, not starting with `.` (the worker's own rule is
    /// stricter, SPEC §7.8).
    public static func isWorkspaceName(_ name: String) -> Bool {
        !name.isEmpty && name.codePointCount <= 200 && !name.unicodeScalars.contains("/")
            && name.unicodeScalars.first != "."
    }

    /// The reference sends tags as one comma string (`"code,draft,economy"`); an array is accepted too.
    static func tags(_ value: JSONValue?) throws(WorkerProtocolError) -> [String] {
        guard let value, value != .null else { return [] }
        let items: [String]
        switch value {
        case .string(let text):
            items = text.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        case .array(let array):
            var strings: [String] = []
            for (i, item) in array.enumerated() {
                guard let text = item.stringValue else {
                    throw WorkerProtocolError(field: "tags[\(i)]", "tags must be a comma-separated string")
                }
                strings.append(text)
            }
            items = strings
        default:
            throw WorkerProtocolError(
                field: "tags", "tags must be a comma-separated string such as \"code,draft,economy\"")
        }
        guard items.count <= maxTags else {
            throw WorkerProtocolError(field: "tags", "at most \(maxTags) tags are allowed")
        }
        var out: [String] = []
        for tag in items {
            guard ProtocolNames.isTag(tag) else {
                throw WorkerProtocolError(
                    field: "tags",
                    "tag \(JSONText.quote(String(tag.prefix(80)))) must be 1 to 64 letters, digits, '.', '_', '-' or ':'"
                )
            }
            if !out.contains(tag) { out.append(tag) }
        }
        return out
    }

    static func models(_ value: JSONValue?, field: String) throws(WorkerProtocolError) -> [WorkerModel] {
        guard let value, value != .null else { return [] }
        guard let items = value.arrayValue, items.count <= maxModels else {
            throw WorkerProtocolError(field: field, "\(field) must be an array of at most \(maxModels) models")
        }
        var out: [WorkerModel] = []
        for (i, item) in items.enumerated() {
            out.append(try WorkerModel(json: item, path: "\(field)[\(i)]", list: field))
        }
        return out
    }
}

/// A command the coordinator hands a worker in a heartbeat answer, once (SPEC §6.7). A kind this
/// worker does not know is kept as it came, so it can say what it ignores (SPEC §7.2).
public enum WorkerCommand: Sendable, Equatable {
    /// Stop the attempt running this job.
    case cancelJob(Int64)
    /// Remove this workspace (after its before_remove hook), SPEC §7.8.
    case removeWorkspace(String)
    /// A kind this side does not know: `{"kind": …, …}` as it came.
    case other(JSONValue)

    public var json: JSONValue {
        switch self {
        case .cancelJob(let id): ["kind": "cancel_job", "job": .int(id)]
        case .removeWorkspace(let name): ["kind": "remove_workspace", "workspace": .string(name)]
        case .other(let json): json
        }
    }

    /// `path` names it in errors (`commands[0]`).
    public init(json: JSONValue, path: String = "command") throws(WorkerProtocolError) {
        let command = try FieldReader(json, path: path)
        switch try command.requiredString("kind") {
        case "cancel_job":
            guard let id = try command.integer("job", in: 1...Int64.max, "\(command.at("job")) must be a job id") else {
                throw command.missing("job")
            }
            self = .cancelJob(id)
        case "remove_workspace":
            // Any string: the worker checks the name itself, and where it resolves, before any
            // hook runs (SPEC §7.8), and logs the one it refuses.
            self = .removeWorkspace(try command.requiredString("workspace"))
        default:
            self = .other(json)
        }
    }
}

/// The coordinator's answer to a heartbeat (SPEC §6.7).
public struct PresenceAnswer: Sendable, Equatable {
    /// The coordinator's view of this worker (`GET /api/workers/:id`, SPEC §6.17), as it came.
    public var worker: JSONValue
    /// How often the coordinator wants a heartbeat: max(1, `stale_after_s` / 3).
    public var heartbeatIntervalS: Int64
    /// After this long without one it takes the worker for offline.
    public var staleAfterS: Int64
    /// Commands waiting for this worker, in order, each handed over once.
    public var commands: [WorkerCommand]

    public init(worker: JSONValue, heartbeatIntervalS: Int64, staleAfterS: Int64, commands: [WorkerCommand]) {
        self.worker = worker
        self.heartbeatIntervalS = heartbeatIntervalS
        self.staleAfterS = staleAfterS
        self.commands = commands
    }

    public var json: JSONValue {
        [
            "worker": worker, "heartbeat_interval_s": .int(heartbeatIntervalS), "stale_after_s": .int(staleAfterS),
            "commands": .array(commands.map(\.json)),
        ]
    }

    public init(json: JSONValue) throws(WorkerProtocolError) {
        let answer = try FieldReader(json)
        guard let worker = answer.value("worker") else { throw answer.missing("worker") }
        guard case .object = worker else { throw answer.wrongType("worker", "an object", worker) }
        func seconds(_ name: String) throws(WorkerProtocolError) -> Int64 {
            guard let n = try answer.integer(name, in: 1...Int64.max, "\(name) must be a whole number of at least 1")
            else { throw answer.missing(name) }
            return n
        }
        guard let items = answer.fields["commands"] else { throw answer.missing("commands") }
        guard case .array(let list) = items else { throw answer.wrongType("commands", "an array", items) }
        var commands: [WorkerCommand] = []
        for (i, item) in list.enumerated() { commands.append(try WorkerCommand(json: item, path: "commands[\(i)]")) }
        self.init(
            worker: worker, heartbeatIntervalS: try seconds("heartbeat_interval_s"),
            staleAfterS: try seconds("stale_after_s"), commands: commands)
    }
}

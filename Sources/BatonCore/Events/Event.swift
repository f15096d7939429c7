import BatonJSON

/// Something that happened in Baton, as stored in the `events` table and streamed over SSE.
/// `data` is the JSON object text of the event's payload.
public struct Event: Sendable, Equatable {
    public let id: Int64
    public let type: String
    public let tenant: String?
    public let issue: String?
    public let at: String
    public let data: String

    public init(id: Int64, type: String, tenant: String?, issue: String?, at: String, data: String) {
        self.id = id
        self.type = type
        self.tenant = tenant
        self.issue = issue
        self.at = at
        self.data = data
    }

    /// The event as one JSON object, the `data:` of its SSE message.
    public var json: String {
        var out = "{\"id\":\(id),\"type\":" + JSONText.quote(type) + ",\"at\":" + JSONText.quote(at)
        out += ",\"tenant\":" + (tenant.map(JSONText.quote) ?? "null")
        out += ",\"issue\":" + (issue.map(JSONText.quote) ?? "null")
        out += ",\"data\":" + (data.isEmpty ? "{}" : data) + "}"
        return out
    }
}

/// An event before it has an id and time.
public struct EventDraft: Sendable {
    public var type: String
    public var tenant: String?
    public var issue: String?
    /// JSON object text; `{}` when the event carries nothing more.
    public var data: String

    public init(type: String, tenant: String? = nil, issue: String? = nil, data: String = "{}") {
        self.type = type
        self.tenant = tenant
        self.issue = issue
        self.data = data
    }
}

/// Which events a subscriber wants. Types match exactly, or by prefix when written `job.*`.
///
/// With a `tenant`, only that tenant's events match, and instance events (those without a
/// tenant: the service starting and stopping, configuration changes, refused anonymous requests)
/// only when `instance` is set — which the API does for keys of the system tenant alone. Without
/// a tenant (Baton's own subscribers) every event matches.
public struct EventFilter: Sendable, Equatable {
    public var types: [String]
    public var issue: String?
    public var tenant: String?
    public var instance: Bool
    /// Only events of some issue: Baton's own followers of issue jobs use it, so an ad-hoc job's
    /// events wake none of them (each wake-up is a task resumed on the cooperative pool).
    public var issuesOnly: Bool

    public init(
        types: [String] = [], issue: String? = nil, tenant: String? = nil, instance: Bool = false,
        issuesOnly: Bool = false
    ) {
        self.types = types
        self.issue = issue
        self.tenant = tenant
        self.instance = instance
        self.issuesOnly = issuesOnly
    }

    public func matches(_ event: Event) -> Bool {
        if let issue, event.issue != issue { return false }
        if issuesOnly && event.issue == nil { return false }
        if let tenant {
            if let eventTenant = event.tenant {
                if eventTenant != tenant { return false }
            } else if !instance {
                return false
            }
        }
        if types.isEmpty { return true }
        for pattern in types {
            if pattern.hasSuffix(".*") {
                if event.type.hasPrefix(pattern.dropLast(1)) { return true }
            } else if pattern == event.type {
                return true
            }
        }
        return false
    }
}

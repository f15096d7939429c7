/// A role an API key carries. `admin` ⊇ `operator` ⊇ `viewer`; `worker` stands apart: it may only
/// report presence, lease jobs and report on its own jobs (an admin may also act as any worker).
public enum Role: String, Sendable, CaseIterable, Codable {
    case admin
    case `operator`
    case viewer
    case worker

    /// Whether a key with this role may do what `required` allows.
    public func satisfies(_ required: Role) -> Bool {
        switch (self, required) {
        case (.admin, _): true
        case (.operator, .operator), (.operator, .viewer): true
        case (.viewer, .viewer): true
        case (.worker, .worker): true
        default: false
        }
    }
}

/// Who is making a request: the authenticated API key.
public struct Principal: Sendable, Equatable {
    /// The key's public id (the `<id>` of `bt_<id>_<secret>`).
    public var keyID: String
    public var name: String
    public var role: Role
    public var tenant: String

    public init(keyID: String, name: String, role: Role, tenant: String) {
        self.keyID = keyID
        self.name = name
        self.role = role
        self.tenant = tenant
    }
}

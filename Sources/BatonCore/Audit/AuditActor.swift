/// Who caused an audited change: a key, or Baton itself. (Named so it does not shadow
/// `Swift.Actor`.)
public enum AuditActor: Sendable, Equatable {
    case key(Principal)
    case system
    /// A request that presented no valid key (refused, but still recorded).
    case anonymous

    public var label: String {
        switch self {
        case .key(let p): "key:\(p.keyID)"
        case .system: "system"
        case .anonymous: "anonymous"
        }
    }
}

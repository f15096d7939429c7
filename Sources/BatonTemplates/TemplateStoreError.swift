import BatonCore

/// Why the template store refused a change: the API renders each case with its status code
/// (SPEC §2.3, §9.11).
public enum TemplateStoreError: Refusal, Equatable {
    /// 404: no such template in the caller's tenant.
    case notFound(String)
    /// 409: the template exists already, or something still uses it.
    case conflict(String)

    public var message: String {
        switch self {
        case .notFound(let m), .conflict(let m): m
        }
    }
}

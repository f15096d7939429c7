import BatonCore

/// Why the dispatcher refused: the API turns each case into its status code.
public enum DispatchError: Refusal, Equatable {
    /// 404: no such job or worker in the caller's tenant (or not the calling worker's).
    case notFound(String)
    /// 409: a stale lease token, or a change a finished job cannot take.
    case conflict(String)
    /// 423: the tenant's killswitch refuses it.
    case locked(String)
    /// 503: no worker can take the job now; the decision says why each was rejected.
    case noEligibleWorker(RoutingDecision)
    /// 400: a request that is well-formed JSON but says something impossible.
    case invalid(String)

    public var message: String {
        switch self {
        case .notFound(let m), .conflict(let m), .locked(let m), .invalid(let m): m
        case .noEligibleWorker(let d):
            d.candidates == 0
                ? "no eligible worker: no worker is registered"
                : "no eligible worker: all \(d.candidates) rejected"
        }
    }
}

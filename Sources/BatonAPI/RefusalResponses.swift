import BatonCore
import BatonHTTP
import BatonIssues
import BatonJobs
import BatonTemplates
import BatonWorkerProtocol

/// The dispatcher's refusals render themselves: 404, 409, 423, 503 (with each rejected worker's
/// reason in `details`) and 400.
extension DispatchError: HTTPResponseError {
    public var status: HTTPStatus {
        switch self {
        case .notFound: .notFound
        case .conflict: .conflict
        case .locked: .locked
        case .noEligibleWorker: .serviceUnavailable
        case .invalid: .badRequest
        }
    }

    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .locked: "killswitch_active"
        case .noEligibleWorker: "no_eligible_worker"
        case .invalid: "bad_request"
        }
    }

    public var details: [String: String]? {
        guard case .noEligibleWorker(let decision) = self else { return nil }
        return decision.rejectionDetails
    }
}

/// A refused job, presence or update body: 400 with the sentence that says what is wrong.
extension JobInputError: HTTPResponseError {
    public var status: HTTPStatus { .badRequest }
    public var code: String { "bad_request" }
}

/// A refused worker-protocol body (presence, events, complete): 400 with the sentence that names
/// the field.
extension WorkerProtocolError: HTTPResponseError {
    public var status: HTTPStatus { .badRequest }
    public var code: String { "bad_request" }
}

/// The orchestrator's refusals: 404, 409, and 422 for a move the issue state table forbids.
extension IssueError: HTTPResponseError {
    public var status: HTTPStatus {
        switch self {
        case .notFound: .notFound
        case .conflict: .conflict
        case .forbiddenTransition: .unprocessableContent
        }
    }

    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .forbiddenTransition: "forbidden_transition"
        }
    }
}

/// The template store's refusals: 404 and 409.
extension TemplateStoreError: HTTPResponseError {
    public var status: HTTPStatus {
        switch self {
        case .notFound: .notFound
        case .conflict: .conflict
        }
    }

    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .conflict: "conflict"
        }
    }
}

import BatonCore
import BatonHTTP
import BatonIssues
import BatonJSON
import BatonPlatform

/// `POST /webhooks/linear`: no API key; the `Linear-Signature` proves the sender. A delivery is
/// checked, stored, answered 200 and processed afterwards, so a crash after the answer loses
/// nothing. Webhooks act for the system tenant (`server.system_tenant`), whose configuration
/// names the signing secret.
enum WebhookRoutes {

    static func register(on router: RouterBuilder, services: CoordinatorServices) {
        let deliveries = try? services.metrics.counter(
            name: "baton_webhook_deliveries_total", help: "Linear webhook deliveries by outcome.",
            labelNames: ["outcome"])
        for outcome in [
            "accepted", "ignored", "duplicate", "unauthorized", "bad_request", "unsupported_media_type", "unavailable",
        ] {
            _ = deliveries?.labels(outcome)
        }
        let ignored = try? services.metrics.counter(
            name: "baton_webhook_ignored_total",
            help: "Linear webhook deliveries of a type (or action) Baton does not act on, by type.",
            labelNames: ["type"])
        router.post("/webhooks/linear") { request, _ in
            do {
                let (response, received) = try await receive(request, services: services)
                switch received {
                case .duplicate: deliveries?.labels("duplicate").inc()
                case .accepted: deliveries?.labels("accepted").inc()
                case .ignored(let type):
                    deliveries?.labels("ignored").inc()
                    ignored?.labels(ignoredTypeLabel(type)).inc()
                }
                return response
            } catch let error as HTTPError {
                let outcome =
                    switch error.status.code {
                    case 401: "unauthorized"
                    case 415: "unsupported_media_type"
                    case 503: "unavailable"
                    default: "bad_request"
                    }
                deliveries?.labels(outcome).inc()
                throw error
            }
        }
    }

    enum Received: Equatable {
        case accepted
        /// Stored as processed: a type (or action) Baton does not act on.
        case ignored(type: String)
        /// This delivery id, or this very body, was stored before.
        case duplicate
    }

    /// Linear's webhook types, as metric labels; any other type is counted as `other`, so a
    /// label's values stay few whatever a (signed) sender makes up.
    static let knownTypes: Set<String> = [
        "Issue", "Comment", "Attachment", "IssueAttachment", "Reaction", "IssueLabel", "Project", "ProjectUpdate",
        "Cycle", "Document", "Initiative", "InitiativeUpdate", "Customer", "CustomerNeed", "User", "IssueSLA",
        "OAuthApp", "AppUserNotification", "AgentSessionEvent", "CustomResource", "PermissionChange", "AuditEntry",
    ]

    static func ignoredTypeLabel(_ type: String) -> String { knownTypes.contains(type) ? type : "other" }

    static func receive(_ request: HTTPRequest, services: CoordinatorServices) async throws -> (HTTPResponse, Received)
    {
        let tenant = services.systemTenant
        // What can be judged without the secret comes first: an unsigned or mistyped
        // delivery is refused the same way whether or not a secret is configured.
        let type = request.headers["Content-Type"]?.split(separator: ";").first.map {
            $0.trimmingSpaces.lowercased()
        }
        guard type == "application/json" else { throw HTTPError.unsupportedMediaType() }
        guard let signature = request.headers["Linear-Signature"], !signature.isEmpty else {
            throw HTTPError.unauthorized("the Linear-Signature header is missing")
        }
        guard let deliveryID = request.headers["Linear-Delivery"], !deliveryID.isEmpty, deliveryID.utf8.count <= 128
        else {
            throw HTTPError.badRequest("the Linear-Delivery header is missing")
        }
        let config = services.config.effective
        var secrets: [String] = []
        for key in ["secret", "previous_secret"] {
            guard let reference = config.value(at: ["webhooks", "linear", key])?.stringValue else { continue }
            if let value = try? await services.vault.resolve(reference, tenant: tenant), !value.isEmpty {
                secrets.append(value)
            }
        }
        guard !secrets.isEmpty else {
            throw HTTPError.serviceUnavailable(
                "no Linear webhook secret is configured (store it with POST /api/v1/secrets/linear_webhook_secret)",
                retryAfter: 60)
        }
        guard LinearWebhook.verify(signature: signature, body: request.body, secrets: secrets) else {
            throw HTTPError.unauthorized("the Linear-Signature does not match this body")
        }
        let delivery: LinearWebhook.Delivery
        do throws(LinearWebhook.Invalid) {
            // Agent mode reads AgentSessionEvent in its own shape (SPEC §9.15); otherwise it is
            // one more type Baton does not act on.
            delivery = try LinearWebhook.parse(
                request.body, agentSessions: ConfigReader(config).bool("tracker.agent.enabled"))
        } catch {
            throw HTTPError.badRequest(error.description)
        }
        guard let sent = delivery.timestampMs else {
            throw HTTPError.badRequest("missing field \"webhookTimestamp\"")
        }
        let maxAge = ConfigReader(config).int("webhooks.linear.max_age_ms")
        let now = Timestamp.nowMilliseconds()
        guard abs(now - sent) <= maxAge else {
            throw HTTPError.unauthorized(
                "webhookTimestamp is \(abs(now - sent) / 1000) s away from now; at most \(maxAge / 1000) s is accepted"
            )
        }
        let stored = try await services.webhooks.store(
            id: deliveryID, tenant: tenant, delivery: delivery, body: String(decoding: request.body, as: UTF8.self))
        let received: Received
        if !stored {
            received = .duplicate
        } else if case .ignored = delivery.effect {
            received = .ignored(type: delivery.type)
        } else {
            received = .accepted
            services.webhooks.notify()
        }
        let answer: JSONValue = ["received": true, "duplicate": .bool(!stored), "delivery": .string(deliveryID)]
        return (.json(.ok, answer.text), received)
    }
}

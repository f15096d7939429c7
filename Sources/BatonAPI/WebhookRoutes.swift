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
            "accepted", "duplicate", "unauthorized", "bad_request", "unsupported_media_type", "unavailable",
        ] {
            _ = deliveries?.labels(outcome)
        }
        router.post("/webhooks/linear") { request, _ in
            do {
                let (response, duplicate) = try await receive(request, services: services)
                deliveries?.labels(duplicate ? "duplicate" : "accepted").inc()
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

    static func receive(_ request: HTTPRequest, services: CoordinatorServices) async throws -> (HTTPResponse, Bool) {
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
            delivery = try LinearWebhook.parse(request.body)
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
        if stored { services.webhooks.notify() }
        let answer: JSONValue = ["received": true, "duplicate": .bool(!stored), "delivery": .string(deliveryID)]
        return (.json(.ok, answer.text), !stored)
    }
}
